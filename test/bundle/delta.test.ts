import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deltaBundle, diffData, loadBundle, packBundle, readTarGz } from '../../src/bundle/index.js';

const rego = (text: string) => [{ path: '/app/policy.rego', bytes: new TextEncoder().encode(text) }];
const bundle = (revision: string, data: Record<string, unknown>, policy = 'package app\n\nallow := true\n') =>
  loadBundle(packBundle({ manifest: { revision, roots: ['app'], rego_version: 1 }, data: data as never, modules: rego(policy), maxFileBytes: 1 << 20 }));

describe('diffData', () => {
  it('upserts new and changed values and removes vanished keys, in a stable order', () => {
    const ops = diffData({ a: { x: 1, y: [1, 2], gone: true }, b: 'same' }, { a: { x: 2, y: [1, 2], added: { deep: 1 } }, b: 'same' }, '');
    assert.deepEqual(ops, [
      { op: 'remove', path: '/a/gone' },
      { op: 'upsert', path: '/a/added', value: { deep: 1 } },
      { op: 'upsert', path: '/a/x', value: 2 },
    ]);
  });

  it('escapes keys the way OPA unescapes patch paths', () => {
    const ops = diffData({}, { 'a/b': 1, 'c~d': 2, 'e%f': 3 }, '');
    assert.deepEqual(
      ops.map((o) => o.path),
      ['/a~1b', '/c~0d', '/e%25f'],
    );
  });

  it('finds nothing to do for equal documents', () => {
    assert.deepEqual(diffData({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, ''), []);
  });
});

describe('deltaBundle', () => {
  it('carries only a manifest repeating roots and Wasm resolvers, and a non-empty patch', () => {
    const delta = deltaBundle(bundle('r1', { app: { tags: ['latest'] } }), bundle('r2', { app: { tags: ['latest', 'dev'] } }));
    assert.ok(delta);
    const files = readTarGz(delta);
    assert.deepEqual(
      files.map((f) => f.path),
      ['/.manifest', '/patch.json'],
    );
    const manifest = JSON.parse(Buffer.from(files[0]!.bytes).toString());
    assert.equal(manifest.revision, 'r2');
    assert.deepEqual(manifest.roots, ['app']);
    assert.deepEqual(JSON.parse(Buffer.from(files[1]!.bytes).toString()), {
      data: [{ op: 'upsert', path: '/app/tags', value: ['latest', 'dev'] }],
    });
  });

  it('refuses when a policy changed, and when nothing changed', () => {
    assert.equal(deltaBundle(bundle('r1', { app: { a: 1 } }), bundle('r2', { app: { a: 2 } }, 'package app\n\nallow := false\n')), undefined);
    assert.equal(deltaBundle(bundle('r1', { app: { a: 1 } }), bundle('r2', { app: { a: 1 } })), undefined);
  });
});

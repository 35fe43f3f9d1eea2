import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BUNDLE_LIMITS, EVALUATION_LIMITS, MAX_JSON_DEPTH } from '../../src/core/index.js';
import { Evaluator } from '../../src/serve/evaluator.js';

describe('Evaluator bodies', () => {
  const evaluator = new Evaluator({ read: BUNDLE_LIMITS, evaluation: EVALUATION_LIMITS, maxDepth: MAX_JSON_DEPTH, threads: 1, offloadBytes: 8, maxQueued: 4 });
  // Workers do not keep the process alive on their own (a server's listener does): this stands in for it.
  const alive = setInterval(() => undefined, 1000);

  after(async () => {
    await evaluator.close();
    clearInterval(alive);
  });

  // Each part in a buffer of its own, as the HTTP parser gives a body's chunks (a small Buffer.from would share a pool).
  const parts = (text: string, at: number) => [new TextEncoder().encode(text.slice(0, at)), new TextEncoder().encode(text.slice(at))];

  it("moves a large body's parts to the worker, which reads them joined", async () => {
    const body = parts('{"input": {"image": "registry.example/app:1"}}', 5);
    const result = await evaluator.run({ kind: 'data', body, path: 'nothing/here' }, undefined);
    // Without a bundle the Data API answers {} for a body with an input, a warning without one, a 400 for broken JSON.
    assert.deepEqual(result.body, {});
    assert.deepEqual(
      body.map((part) => part.byteLength),
      [0, 0],
      'the parts were moved, not copied',
    );
  });

  it("takes back a written result's buffer, moving it to a worker, which goes on with its jobs", async () => {
    await evaluator.run({ kind: 'data', body: parts('{"input": {}}', 3), path: '' }, undefined);
    const own = new Uint8Array(64 * 1024).fill(7);
    const pooled = Buffer.from('a small result, a view of a shared pool');
    evaluator.release(own);
    evaluator.release(pooled);
    assert.equal(own.byteLength, 0, 'a buffer of its own is moved');
    assert.equal(pooled.toString(), 'a small result, a view of a shared pool', 'a view of a pool is left alone');
    const result = await evaluator.run({ kind: 'data', body: parts('{"input": {"x": 1}}', 4), path: 'nothing/here' }, undefined);
    assert.deepEqual(result.body, {});
  });

  it('reads a small body on the event loop from its parts, which stay', async () => {
    const body = parts('{"x":1}', 3);
    assert.deepEqual((await evaluator.run({ kind: 'data', body, path: '' }, undefined)).body, {
      warning: { code: 'api_usage_warning', message: "'input' key missing from the request" },
    });
    assert.deepEqual(
      body.map((part) => part.byteLength),
      [3, 4],
    );
  });
});

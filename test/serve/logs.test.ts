import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { event, post, startFleetApp, type FleetApp } from '../store/fleet-app.js';

const JSON_GZIP = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' };
const JSON_PLAIN = { 'Content-Type': 'application/json' };
const gz = (value: unknown) => gzipSync(typeof value === 'string' ? value : JSON.stringify(value));

describe('POST /logs (OPA Decision Log API)', () => {
  let app: FleetApp;
  before(async () => {
    app = await startFleetApp({ maxBodyBytes: 4 * 1024 * 1024, maxRatio: 100 });
  });
  after(() => app.close());

  it('stores a gzip batch as OPA sends it and answers 200 {}', async () => {
    const res = await post(`${app.url}/logs`, gz([event(1), event(2)]), JSON_GZIP);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {});
    const { decisions } = await app.store.queryDecisions({ labels: [], input: [], limit: 10, order: 'asc' });
    assert.deepEqual(
      decisions.map((d) => d['decision_id']),
      [event(1)['decision_id'], event(2)['decision_id']],
    );
    assert.deepEqual(decisions[0]?.['input'], event(1)['input']);
    assert.equal(decisions[0]?.['timestamp'], event(1)['timestamp']);
  });

  it('accepts plain JSON, a partition path, unknown fields, a leading / in path and an empty batch', async () => {
    const before = await app.store.countDecisions();
    const odd = event(3, 'agent-2', { path: '/tiny/allow', future_field: { x: 1 }, nd_builtin_cache: { time: {} }, erased: ['/input/password'] });
    assert.equal((await post(`${app.url}/logs/partition-a`, JSON.stringify([odd]), JSON_PLAIN)).status, 200);
    assert.equal((await post(`${app.url}/logs`, '[]', {})).status, 200);
    assert.equal((await post(`${app.url}/logs`, gz([event(4)]), { 'Content-Encoding': 'x-gzip' })).status, 200);
    assert.equal(await app.store.countDecisions(), before + 2);
    const [stored] = (await app.store.queryDecisions({ labels: [], input: [], limit: 1, order: 'desc', agent: 'agent-2' })).decisions;
    assert.equal(stored?.['path'], 'tiny/allow');
    assert.deepEqual(stored?.['future_field'], { x: 1 });
    assert.deepEqual(stored?.['erased'], ['/input/password']);
  });

  it('takes large batches: 20,000 events, about 6 MiB of JSON in one gzip body', async () => {
    const before = await app.store.countDecisions();
    const batch = Array.from({ length: 20_000 }, (_, i) => event(i, 'agent-big'));
    const body = gz(batch);
    const big = await startFleetApp({ maxBodyBytes: 64 * 1024 * 1024 });
    try {
      assert.equal((await post(`${big.url}/logs`, body, JSON_GZIP)).status, 200);
      assert.equal(await big.store.countDecisions(), 20_000);
    } finally {
      await big.close();
    }
    assert.equal(await app.store.countDecisions(), before);
  });

  // Every bad body gets a 4xx JSON error and stores nothing.
  const valid = event(9);
  const cases: [name: string, body: () => Uint8Array | string, headers: Record<string, string>, status: number, code: string][] = [
    ['body that is not JSON', () => '[{"labels":', JSON_PLAIN, 400, 'INPUT_INVALID'],
    ['body that is not UTF-8', () => Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), JSON_PLAIN, 400, 'INPUT_INVALID'],
    ['empty body', () => '', JSON_PLAIN, 400, 'INPUT_INVALID'],
    ['object instead of an array', () => gz(valid), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['array holding a number', () => gz([valid, 42]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['event without labels', () => gz([{ ...valid, labels: undefined }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['labels.id that is a number', () => gz([{ ...valid, labels: { id: 7 } }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['label value that is not a string', () => gz([{ ...valid, labels: { id: 'a', env: ['x'] } }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['event without timestamp', () => gz([{ ...valid, timestamp: undefined }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['timestamp that is not RFC 3339', () => gz([{ ...valid, timestamp: 'yesterday' }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['timestamp that is no real date', () => gz([{ ...valid, timestamp: '2026-13-45T99:00:00Z' }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['decision_id that is a number', () => gz([{ ...valid, decision_id: 12 }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['path that is an object', () => gz([{ ...valid, path: { a: 1 } }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['bundle revision that is a number', () => gz([{ ...valid, bundles: { tiny: { revision: 3 } } }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['req_id that is a string', () => gz([{ ...valid, req_id: 'x' }]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['gzip label on a plain body', () => JSON.stringify([valid]), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['truncated gzip', () => gz([valid, valid]).subarray(0, 40), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['gzip of text that is not JSON', () => gz('not json at all'), JSON_GZIP, 400, 'INPUT_INVALID'],
    ['Content-Encoding br', () => gz([valid]), { ...JSON_PLAIN, 'Content-Encoding': 'br' }, 415, 'ENCODING_UNSUPPORTED'],
    ['Content-Encoding deflate', () => gz([valid]), { ...JSON_PLAIN, 'Content-Encoding': 'deflate' }, 415, 'ENCODING_UNSUPPORTED'],
    ['Content-Type text/plain', () => JSON.stringify([valid]), { 'Content-Type': 'text/plain' }, 415, 'ENCODING_UNSUPPORTED'],
    ['Content-Type form', () => JSON.stringify([valid]), { 'Content-Type': 'application/x-www-form-urlencoded' }, 415, 'ENCODING_UNSUPPORTED'],
    ['plain body over the size limit', () => JSON.stringify(Array.from({ length: 20_000 }, (_, i) => event(i))), JSON_PLAIN, 413, 'INPUT_TOO_LARGE'],
    ['gzip body that expands over the size limit', () => gz(Array.from({ length: 20_000 }, (_, i) => event(i))), JSON_GZIP, 413, 'INPUT_TOO_LARGE'],
    ['gzip bomb (ratio over the limit)', () => gzipSync(Buffer.alloc(3 * 1024 * 1024, 0x20), { level: 9 }), JSON_GZIP, 413, 'INPUT_TOO_LARGE'],
    [
      'valid events around one bad event (no partial write)',
      () => gz([event(20), event(21), { ...event(22), result: undefined, labels: 'x' }, event(23)]),
      JSON_GZIP,
      400,
      'INPUT_INVALID',
    ],
  ];

  for (const [name, body, headers, status, code] of cases) {
    it(`refuses a ${name} with ${status} ${code} and stores nothing`, async () => {
      const before = await app.store.countDecisions();
      const res = await post(`${app.url}/logs`, body(), headers);
      assert.equal(res.status, status, JSON.stringify(res.body));
      const error = res.body as { code: string; message: string };
      assert.equal(error.code, code);
      assert.ok(error.message.length > 10, error.message);
      assert.equal(await app.store.countDecisions(), before);
    });
  }

  it('names the offending field', async () => {
    const res = await post(`${app.url}/logs`, gz([event(1), { ...event(2), decision_id: 5 }]), JSON_GZIP);
    assert.match((res.body as { message: string }).message, /\/1\/decision_id/);
    assert.deepEqual((res.body as { errors: { path: string }[] }).errors[0]?.path, '/1/decision_id');
  });
});

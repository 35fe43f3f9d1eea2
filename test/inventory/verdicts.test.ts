import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { CurrentVerdicts, InventoryEngine, VERDICT_TTL_MS, type ServedRevision } from '../../src/inventory/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { FakeEvaluator, SETTINGS, T0 } from './fakes.js';
import { DIGEST } from './kubernetes.js';

describe('the provider verdicts of images in namespaces', () => {
  let store: Store;
  let now = T0;
  let revision: ServedRevision = { name: 'image-scan', etag: '"e1"', bytes: new Uint8Array(), revision: 'r1', publishedAt: 1 };
  const evaluator = new FakeEvaluator();
  let engine: InventoryEngine;
  let scans: Map<string, { input: unknown; seq?: number }>;
  let reads = 0;
  let verdicts: CurrentVerdicts;
  const keys = Array.from({ length: 100 }, (_, i) => ({ digest: DIGEST(1 + (i % 3)), namespace: i % 2 === 0 ? 'prod-shop' : null }));

  before(async () => {
    store = await openStore({ driver: 'sqlite', path: join(await mkdtemp(join(tmpdir(), 'portcullis-verdicts-')), 'db.sqlite') });
    engine = new InventoryEngine({
      store,
      revision: () => revision,
      evaluator,
      clock: () => new Date(now),
      logger: pino({ level: 'silent' }),
      settings: SETTINGS,
    });
  });
  after(async () => {
    await store.close();
  });
  beforeEach(() => {
    evaluator.calls.length = 0;
    now = T0;
    revision = { ...revision, etag: '"e1"', revision: 'r1' };
    scans = new Map([1, 2, 3].map((n) => [DIGEST(n), { input: { n } }]));
    reads = 0;
    verdicts = new CurrentVerdicts({ engine, revision: () => revision, policy: () => Promise.reject(new Error('unused')) }, async (digests) => {
      reads += 1;
      return new Map(digests.flatMap((d) => (scans.has(d) ? [[d, scans.get(d) as { input: unknown; seq?: number }] as const] : [])));
    });
  });

  it('decides each (namespace, digest) of a request once and answers every key, in order, with its own namespace', async () => {
    const answers = await verdicts.lookup(keys);
    assert.equal(evaluator.calls.length, 6, '3 digests in 2 namespace contexts');
    assert.equal(reads, 1, 'one read of the scans per request');
    assert.equal(answers.length, 100);
    answers.forEach((a, i) => {
      assert.equal(a.digest, keys[i]?.digest);
      assert.equal(a.namespace, keys[i]?.namespace);
      assert.equal(a.decision, 'deny');
      assert.equal(a.revision, 'r1');
    });
  });

  it('reuses a verdict while the revision, the scan and the time allow, and decides again when one changes', async () => {
    await verdicts.lookup(keys);
    await verdicts.lookup(keys);
    assert.equal(evaluator.calls.length, 6, 'the second request is answered from the first');

    scans.set(DIGEST(2), { input: { n: 2, rescanned: true } });
    await verdicts.lookup(keys);
    assert.equal(evaluator.calls.length, 8, 'a new scan of one digest: that digest again, in both contexts');

    now += VERDICT_TTL_MS + 1;
    await verdicts.lookup(keys);
    assert.equal(evaluator.calls.length, 14, 'past the reuse time: everything again');

    revision = { ...revision, etag: '"e2"', revision: 'r2' };
    const answers = await verdicts.lookup(keys);
    assert.equal(evaluator.calls.length, 20, 'a new revision: everything again');
    assert.ok(answers.every((a) => a.revision === 'r2'));
  });

  it('answers a verdict past half its reuse time at once and decides it again in the background', async () => {
    await verdicts.lookup(keys);
    now += VERDICT_TTL_MS / 2 + 1;
    const stale = await verdicts.lookup(keys);
    assert.ok(
      stale.every((a) => a.evaluated_at === new Date(T0).toISOString()),
      'answered with the verdicts it had',
    );
    for (let i = 0; i < 200 && evaluator.calls.length < 12; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(evaluator.calls.length, 12, 'and each decided again, once');
    now += VERDICT_TTL_MS / 2 + 1;
    const fresh = await verdicts.lookup(keys);
    assert.equal(evaluator.calls.length, 12, 'the refreshed verdicts are reused where the first would have expired');
    assert.ok(fresh.every((a) => a.evaluated_at === new Date(T0 + VERDICT_TTL_MS / 2 + 1).toISOString()));
  });

  it("reuses a verdict across reads of one stored scan, and not across the digest's next scan", async () => {
    scans = new Map([1, 2, 3].map((n) => [DIGEST(n), { input: { n }, seq: n }]));
    await verdicts.lookup(keys);
    scans = new Map([1, 2, 3].map((n) => [DIGEST(n), { input: { n }, seq: n }]));
    await verdicts.lookup(keys);
    assert.equal(evaluator.calls.length, 6, 'a new read of the same scans decides nothing');
    scans.set(DIGEST(3), { input: { n: 3 }, seq: 4 });
    await verdicts.lookup(keys);
    assert.equal(evaluator.calls.length, 8, 'a new scan of one digest: that digest again, in both contexts');
  });

  it('has concurrent requests wait for one decision instead of repeating it', async () => {
    const [first, second] = await Promise.all([verdicts.lookup(keys), verdicts.lookup(keys)]);
    assert.equal(evaluator.calls.length, 6);
    assert.deepEqual(second, first);
  });

  it('refuses when no revision is served', async () => {
    const none = new CurrentVerdicts({ engine, revision: () => undefined, policy: () => Promise.reject(new Error('unused')) }, async () => new Map());
    await assert.rejects(none.lookup(keys), /no published bundle/);
  });
});

// The inventory's evaluation threads with the real image policy: the first is
// kept running with the served revision loaded, threads that decided units are
// stopped when idle, and units of digests with no scan wait for no thread.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import { EVALUATION_LIMITS } from '../../src/core/index.js';
import { WorkerPool, type ServedRevision, type UnitTask } from '../../src/inventory/index.js';
import { buildWithOpa } from '../helpers/opa.js';
import { REPO } from '../helpers/processes.js';
import { DIGEST } from './kubernetes.js';

const IDLE_MS = 100;

describe('the inventory evaluation threads', () => {
  let revision: ServedRevision;
  const pool = new WorkerPool(2, { read: DEFAULT_READ_LIMITS, evaluation: EVALUATION_LIMITS }, IDLE_MS);
  // Units of 16 scans: a chunk each, so the second thread is started too.
  const tasks: UnitTask[] = Array.from({ length: 16 }, (_, i) => ({
    unitId: i,
    digest: DIGEST(1 + i),
    scanSeq: i,
    metadata: { namespace: 'shop', namespace_labels: {}, environment: 'prod', cluster: null, labels: {} },
    now: '2026-11-01T00:00:00Z',
  }));
  const settle = async (threads: number) => {
    for (let i = 0; i < 100 && pool.threads !== threads; i++) await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 2));
    return pool.threads;
  };

  before(async () => {
    const built = (await buildWithOpa(join(REPO, 'bundles'))).find((r) => r.name === 'image-scan');
    assert.ok(built, 'the image-scan bundle builds');
    revision = { name: 'image-scan', etag: '"e1"', bytes: await readFile(built.path), revision: 'r1', publishedAt: 1 };
  });
  after(async () => {
    await pool.close();
  });

  it('decides units of digests with no scan without a thread', async () => {
    const unscanned = tasks.slice(0, 8).map((t) => ({ ...t, scanSeq: null }));
    const outcomes = await pool.evaluate(revision, unscanned, { unscanned: 'warn' }, new Map());
    assert.deepEqual(
      outcomes.map((o) => [o.unitId, o.decision, o.warnings]),
      unscanned.map((t) => [t.unitId, 'unscanned', 1]),
    );
    assert.equal(pool.threads, 0);
  });

  it('keeps the first thread ready with the served revision, and stops threads that decided units once idle', async () => {
    pool.warm(revision);
    assert.equal(pool.threads, 1, 'warm starts the first thread');
    // Scans named but not handed over: decided in the threads, as unscanned.
    const deciding = pool.evaluate(revision, tasks, { unscanned: 'deny' }, new Map());
    // Chunks are handed out as evaluate is called; afterwards, a thread that finished first may already be stopped.
    assert.equal(pool.threads, 2, 'both threads took chunks');
    assert.equal((await deciding).length, 16);
    assert.equal(await settle(0), 0, 'both stopped once idle');
    pool.warm(revision);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 3));
    assert.equal(pool.threads, 1, 'a thread that only loaded the policy stays');
    const again = await pool.evaluate(revision, tasks.slice(0, 2), { unscanned: 'deny' }, new Map());
    assert.equal(again.length, 2);
    assert.equal(pool.threads, 1, 'the ready thread took them; no other was started');
  });
});

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { openStore, startRetention, type DecisionRecord } from '../../src/store/index.js';
import { waitFor } from '../helpers/processes.js';

const record = (i: number): DecisionRecord => ({ agentId: 'a', decisionId: `d${i}`, timestamp: new Date(), labels: { id: 'a' }, rest: {} });

describe('retention', () => {
  it('prunes at start and then on its timer, and stops when asked', async () => {
    const store = await openStore({ driver: 'sqlite', path: join(await mkdtemp(join(tmpdir(), 'portcullis-retention-')), 'p.db') });
    await store.recordDecisions([record(1), record(2)], new Date(Date.now() - 10 * 3_600_000));
    await store.recordDecisions([record(3), record(4), record(5)], new Date());
    const stop = startRetention(store, { maxAgeMs: 3_600_000, maxDecisions: 2, intervalMs: 50 }, pino({ level: 'silent' }));
    try {
      await waitFor(async () => ((await store.countDecisions()) === 2 ? true : undefined), 2000);
      await store.recordDecisions([record(6)], new Date());
      await waitFor(async () => ((await store.countDecisions()) === 2 ? true : undefined), 2000);
      const kept = (await store.queryDecisions({ labels: [], input: [], limit: 10, order: 'asc' })).decisions.map((d) => d['decision_id']);
      assert.deepEqual(kept, ['d5', 'd6']);
    } finally {
      stop();
      await store.close();
    }
  });

  it("prunes the inventory's history on the same timer, cut at history's age", async () => {
    const store = await openStore({ driver: 'sqlite', path: ':memory:' });
    const cuts: number[] = [];
    const prune = store.inventory.pruneHistory.bind(store.inventory);
    Object.assign(store.inventory, {
      pruneHistory: (before: Date) => {
        cuts.push(Date.now() - before.getTime());
        return prune(before);
      },
    });
    const stop = startRetention(store, { intervalMs: 20, historyMs: 3_600_000 }, pino({ level: 'silent' }));
    try {
      await waitFor(() => (cuts.length >= 2 ? true : undefined), 2000);
      assert.ok(
        cuts.every((age) => age >= 3_600_000 && age < 3_660_000),
        `cut an hour back: ${cuts.join(', ')}`,
      );
    } finally {
      stop();
      await store.close();
    }
  });

  it('does nothing without limits', async () => {
    const store = await openStore({ driver: 'sqlite', path: ':memory:' });
    await store.recordDecisions([record(1)], new Date(0));
    startRetention(store, { intervalMs: 10 }, pino({ level: 'silent' }))();
    assert.equal(await store.countDecisions(), 1);
    await store.close();
  });
});

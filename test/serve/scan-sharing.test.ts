// The scan read cache with a change feed, on fakes: notices drop digests, a
// resync drops everything, and a read that overlapped a notice is not cached;
// past its time a read is checked by sequence number and only read again when
// the store has a newer scan.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { SCAN_READ_TTL_MS, StoreScanResults as Cache } from '../../src/serve/scan-results.js';
import type { ChangeFeed, ChangeTopic, ScanRecord, Store } from '../../src/store/index.js';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

class FakeFeed implements ChangeFeed {
  readonly sent: [ChangeTopic, string][] = [];
  private readonly listeners: ((payload: string) => void)[] = [];
  private readonly resyncs: (() => void)[] = [];
  async notify(topic: ChangeTopic, payload: string): Promise<void> {
    this.sent.push([topic, payload]);
  }
  on(topic: ChangeTopic, listener: (payload: string) => void): void {
    if (topic === 'scans') this.listeners.push(listener);
  }
  onResync(listener: () => void): void {
    this.resyncs.push(listener);
  }
  async close(): Promise<void> {}
  hear(payload: string): void {
    for (const l of this.listeners) l(payload);
  }
  resync(): void {
    for (const r of this.resyncs) r();
  }
}

/** A store whose scans the test sets, counting reads and checks; `hold` makes the next read or check wait until released. */
function fakeStore() {
  const rows = new Map<string, ScanRecord & { seq: number }>();
  let reads = 0;
  let checks = 0;
  let seq = 0;
  let gate: Promise<void> | undefined;
  const store = {
    driver: 'postgres',
    latestScans: async (digests: readonly string[]) => {
      reads++;
      const found = digests.flatMap((d) => (rows.has(d) ? [rows.get(d) as ScanRecord] : []));
      await gate;
      return found;
    },
    latestScanSeqs: async (digests: readonly string[]) => {
      checks++;
      const found = new Map(digests.flatMap((d) => (rows.has(d) ? [[d, rows.get(d)?.seq as number] as const] : [])));
      await gate;
      return found;
    },
    putScan: async (s: ScanRecord) => void rows.set(s.digest, { ...s, seq: ++seq }),
  } as unknown as Store;
  return {
    store,
    reads: () => reads,
    checks: () => checks,
    set: (n: number, at: string) => rows.set(digest(n), { digest: digest(n), image: 'x', input: {}, decision: {}, storedAt: new Date(at), seq: ++seq }),
    hold: () => {
      let release = () => undefined as void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

describe('scan results shared between replicas', () => {
  const logger = pino({ level: 'silent' });

  it('caches reads until another replica announces a new scan for the digest', async () => {
    const fake = fakeStore();
    const feed = new FakeFeed();
    const scans = new Cache(fake.store, { feed, logger });
    assert.equal(await scans.get(digest(1)), undefined);
    fake.set(1, '2026-01-01T00:00:00Z');
    assert.equal(await scans.get(digest(1)), undefined, 'still cached');
    assert.equal(fake.reads(), 1);
    feed.hear(digest(1));
    assert.equal((await scans.get(digest(1)))?.storedAt, '2026-01-01T00:00:00.000Z');
    assert.equal(fake.reads(), 2);
  });

  it('drops everything on a resync', async () => {
    const fake = fakeStore();
    const feed = new FakeFeed();
    const scans = new Cache(fake.store, { feed, logger });
    await scans.getMany([digest(1), digest(2)]);
    feed.resync();
    await scans.getMany([digest(1), digest(2)]);
    assert.equal(fake.reads(), 2);
  });

  it('does not cache a read that a notice overtook: it may predate the new scan', async () => {
    const fake = fakeStore();
    const feed = new FakeFeed();
    const scans = new Cache(fake.store, { feed, logger });
    const release = fake.hold();
    const stale = scans.get(digest(3));
    fake.set(3, '2026-01-03T00:00:00Z');
    feed.hear(digest(3));
    release();
    assert.equal(await stale, undefined, 'the overlapping read answers what it read');
    assert.equal((await scans.get(digest(3)))?.storedAt, '2026-01-03T00:00:00.000Z', 'and the next read goes to the store');
  });

  it('announces its own uploads, by lower-case digest, to the other replicas', async () => {
    const fake = fakeStore();
    const feed = new FakeFeed();
    const scans = new Cache(fake.store, { feed, logger });
    const upper = `sha256:${'AB'.repeat(32)}`;
    await scans.put({ digest: upper, image: 'x', input: {} as never, decision: {} as never, storedAt: '2026-01-04T00:00:00.000Z' });
    assert.deepEqual(feed.sent, [['scans', upper.toLowerCase()]]);
  });
});

describe('scan reads past their time', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, pass: (ms: number) => (now += ms) };
  };

  it('keeps a read the store confirms, without reading the scan again', async () => {
    const fake = fakeStore();
    const time = clock();
    const scans = new Cache(fake.store, undefined, time.now);
    fake.set(1, '2026-01-01T00:00:00Z');
    const first = await scans.get(digest(1));
    time.pass(SCAN_READ_TTL_MS + 1);
    assert.equal(await scans.get(digest(1)), first, 'the same parsed scan');
    assert.deepEqual([fake.reads(), fake.checks()], [1, 1]);
    assert.equal(await scans.get(digest(1)), first);
    assert.deepEqual([fake.reads(), fake.checks()], [1, 1], 'confirmed for another period');
  });

  it('reads a digest again when the store has a newer scan, or a first one', async () => {
    const fake = fakeStore();
    const time = clock();
    const scans = new Cache(fake.store, undefined, time.now);
    fake.set(1, '2026-01-01T00:00:00Z');
    await scans.getMany([digest(1), digest(2)]);
    fake.set(1, '2026-01-02T00:00:00Z');
    fake.set(2, '2026-01-03T00:00:00Z');
    assert.equal((await scans.get(digest(1)))?.storedAt, '2026-01-01T00:00:00.000Z', 'still within its time');
    time.pass(SCAN_READ_TTL_MS + 1);
    const read = await scans.getMany([digest(1), digest(2)]);
    assert.deepEqual(
      [...read].map(([d, s]) => [d, s.storedAt]),
      [
        [digest(1), '2026-01-02T00:00:00.000Z'],
        [digest(2), '2026-01-03T00:00:00.000Z'],
      ],
    );
    assert.deepEqual([fake.reads(), fake.checks()], [2, 1]);
  });

  it('reads everything again when a notice arrives during the check', async () => {
    const fake = fakeStore();
    const feed = new FakeFeed();
    const time = clock();
    const scans = new Cache(fake.store, { feed, logger: pino({ level: 'silent' }) }, time.now);
    fake.set(4, '2026-01-04T00:00:00Z');
    await scans.get(digest(4));
    time.pass(SCAN_READ_TTL_MS + 1);
    const release = fake.hold();
    const checking = scans.get(digest(4));
    await new Promise((resolve) => setImmediate(resolve));
    feed.hear(digest(4));
    release();
    assert.equal((await checking)?.storedAt, '2026-01-04T00:00:00.000Z');
    assert.deepEqual([fake.reads(), fake.checks()], [2, 1], 'the check did not count');
  });
});

// Replicas on one real PostgreSQL hear of each other's bundle publishes and
// scan uploads through LISTEN/NOTIFY (src/store/pg-changes.ts), and
// resynchronise after losing the feed's connection.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS } from '../../src/bundle/index.js';
import type { StoredScan } from '../../src/gatekeeper/index.js';
import { normalize } from '../../src/inputs/index.js';
import { BundleRegistry } from '../../src/serve/index.js';
import { syncBundles } from '../../src/serve/replicas.js';
import { StoreScanResults } from '../../src/serve/scan-results.js';
import { openChangeFeed, openStore, type ChangeFeed, type Store } from '../../src/store/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { waitFor } from '../helpers/processes.js';
import { createDatabase, startPostgres, type PostgresServer } from '../store/postgres-server.js';

const logger = pino({ level: 'silent' });
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

interface Replica {
  readonly store: Store;
  readonly feed: ChangeFeed;
  readonly scans: StoreScanResults;
}

describe('replicas on one PostgreSQL', () => {
  let server: PostgresServer;
  let url: string;
  const replicas: Replica[] = [];
  const stops: (() => void)[] = [];

  const replica = async (): Promise<Replica> => {
    const store = await openStore({ driver: 'postgres', url });
    const feed = (await openChangeFeed({ driver: 'postgres', url }, logger)) as ChangeFeed;
    const r = { store, feed, scans: new StoreScanResults(store, { feed, logger }) };
    replicas.push(r);
    return r;
  };

  const scan = (n: number, at: string): StoredScan => ({
    digest: digest(n),
    image: `registry.example.com/shop/api@${digest(n)}`,
    input: normalize({ now: new Date(at) }),
    decision: { decision: 'allow', violations: [], warnings: [], exceptions: [], expired_exceptions: [] } as unknown as StoredScan['decision'],
    storedAt: at,
  });

  before(async () => {
    server = await startPostgres();
    url = await createDatabase(server, 'replicas');
  });

  after(async () => {
    for (const stop of stops) stop();
    for (const r of replicas) {
      await r.feed.close();
      await r.store.close();
    }
    await server?.stop();
  });

  it('a publish seen by one replica makes the other rescan its source at once', { timeout: 15_000 }, async () => {
    const [a, b] = [await replica(), await replica()];
    // Two views of one source, neither watched nor rescanned on a timer: B can only learn of the change from A's notice.
    const dirs = [await mkdtemp(join(tmpdir(), 'portcullis-replica-a-')), await mkdtemp(join(tmpdir(), 'portcullis-replica-b-'))];
    for (const dir of dirs) await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r1'));
    const [regA, regB] = dirs.map((dir) => new BundleRegistry({ dir, limits: DEFAULT_READ_LIMITS, logger, rescanIntervalMs: 600_000 })) as [
      BundleRegistry,
      BundleRegistry,
    ];
    await Promise.all([regA.refresh(), regB.refresh()]);
    stops.push(syncBundles(regA, a.feed, { generated: [], logger }), syncBundles(regB, b.feed, { generated: [], logger }));
    const published = new Promise<string>((resolve) => regB.once('published', (bundle) => resolve(bundle.revision)));

    for (const dir of dirs) await writeFile(join(dir, 'tiny.tar.gz'), tinyBundle('r2'));
    assert.equal(regB.get('tiny')?.revision, 'r1', 'B has not looked at its source yet');
    await regA.refresh();
    assert.equal(regA.get('tiny')?.revision, 'r2');
    assert.equal(await published, 'r2');
    assert.equal(regB.get('tiny')?.etag, regA.get('tiny')?.etag);
  });

  it('a scan stored through one replica replaces what the other had cached, before the cache would expire', { timeout: 15_000 }, async () => {
    const [a, b] = replicas as [Replica, Replica];
    assert.equal(await b.scans.get(digest(1)), undefined, 'B caches that there is no scan yet');
    await a.scans.put(scan(1, '2026-01-01T00:00:00.000Z'));
    const seen = await waitFor(() => b.scans.get(digest(1)), 2000);
    assert.equal(seen.storedAt, '2026-01-01T00:00:00.000Z');

    await a.scans.put(scan(1, '2026-01-02T00:00:00.000Z'));
    await waitFor(async () => ((await b.scans.get(digest(1)))?.storedAt === '2026-01-02T00:00:00.000Z' ? true : undefined), 2000);
  });

  it('drops the whole cache after the feed reconnects, since notices may have been missed', { timeout: 15_000 }, async () => {
    const [a, b] = replicas as [Replica, Replica];
    assert.equal(await b.scans.get(digest(2)), undefined);
    // Stored behind the feed's back: no notice is sent.
    await a.store.putScan({ digest: digest(2), image: 'registry.example.com/shop/web', input: {}, decision: {}, storedAt: new Date() });
    assert.equal(await b.scans.get(digest(2)), undefined, 'still cached');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const feeds = "FROM pg_stat_activity WHERE application_name = 'portcullis change feed'";
    try {
      assert.equal((await admin.query(`SELECT pg_terminate_backend(pid) ${feeds}`)).rowCount, 2);
      await waitFor(() => b.scans.get(digest(2)), 2000);
      // Both feeds listen again, and notices flow as before.
      await waitFor(async () => ((await admin.query(`SELECT pid ${feeds}`)).rowCount === 2 ? true : undefined), 5000);
    } finally {
      await admin.end();
    }
    assert.equal(await b.scans.get(digest(3)), undefined);
    await a.scans.put(scan(3, '2026-01-03T00:00:00.000Z'));
    await waitFor(() => b.scans.get(digest(3)), 2000);
  });
});

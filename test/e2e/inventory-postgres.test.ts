import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createDatabase, startPostgres, type PostgresServer } from '../store/postgres-server.js';
import {
  assertWebhookMatches,
  cli,
  configYaml,
  findings,
  operatorReport,
  project,
  publish,
  receiver,
  serve,
  settled,
  snapshot,
  T1,
  uploadJuiceShop,
  writeSnapshot,
  type Portcullis,
  type Project,
} from './inventory-scenario.js';

/** Extra production namespaces running the same image: enough evaluation units for two servers to share. */
const TEAMS = 60;

// The same scenario on PostgreSQL with two `portcullis serve` processes on
// one database: imports go to either, both evaluate, and no unit is decided
// twice for one trigger (claims with FOR UPDATE SKIP LOCKED), no webhook event
// is sent twice.
describe('inventory end to end (PostgreSQL, two servers sharing the work)', () => {
  let database: PostgresServer;
  let db: pg.Client;
  let p: Project;
  let a: Portcullis;
  let b: Portcullis;
  let hook: Awaited<ReturnType<typeof receiver>>;

  /** Evaluations per live unit, from the store. */
  const evaluations = async (): Promise<Map<string, number>> => {
    const { rows } = await db.query<{ id: string; evaluations: string }>(
      'SELECT u.id, u.evaluations FROM inv_units u WHERE EXISTS (SELECT 1 FROM inv_running r WHERE r.unit_id = u.id AND r.gone_at IS NULL)',
    );
    return new Map(rows.map((r) => [r.id, Number(r.evaluations)]));
  };
  const evaluatedBy = async (server: Portcullis) =>
    Number(/^portcullis_inventory_evaluations_total (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? Number.NaN);
  const bothSettled = async () => {
    await settled(a.url);
    await settled(b.url);
  };

  before(async () => {
    database = await startPostgres();
    const url = await createDatabase(database, 'inventory_e2e');
    db = new pg.Client({ connectionString: url });
    await db.connect();
    p = await project();
    hook = await receiver();
    const [configA, configB] = [join(p.dir, 'a.yaml'), join(p.dir, 'b.yaml')];
    const store = 'store: { driver: postgres, url_env: TEST_PG_URL }';
    await writeFile(configA, configYaml(p, store, hook.url));
    // B polls the store once a minute: it hears of work A queues only through the change feed (LISTEN/NOTIFY).
    await writeFile(configB, configYaml(p, store, hook.url, 60_000));
    [a, b] = await Promise.all([serve(p, configA, { TEST_PG_URL: url }), serve(p, configB, { TEST_PG_URL: url })]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.end();
    hook?.close();
    await database?.stop();
  });

  it('imports through either server; the other sees the same inventory and findings, and is woken to share the work', async () => {
    await uploadJuiceShop(b.url);
    const bBefore = await evaluatedBy(b);
    const file = await writeSnapshot(p, 'pods.json', snapshot({ withDevTools: true, extraNamespaces: TEAMS }));
    await cli(p, 'inventory', 'import', '--cluster', 'c1', '--new-cluster', file, '--server', a.url);
    await bothSettled();
    assert.ok((await evaluatedBy(b)) > bBefore, 'B, which polls once a minute, decided units A queued: the change feed woke it');
    await cli(p, 'inventory', 'import', '--cluster', 'c1', await operatorReport(p), '--server', b.url);
    await bothSettled();
    const fromA = await findings(a.url, 'namespace=prod-*&severity_at_least=HIGH');
    const fromB = await findings(b.url, 'namespace=prod-*&severity_at_least=HIGH');
    assert.ok(fromA.length > 0);
    assert.deepEqual(
      fromA.map((f) => f.id),
      fromB.map((f) => f.id),
    );
    assert.equal(new Set(fromA.map((f) => f.namespace)).size, TEAMS + 1);
  });

  it('re-decides every unit exactly once for a new revision, shared between the two servers', async () => {
    const before_ = await evaluations();
    const [aBefore, bBefore] = [await evaluatedBy(a), await evaluatedBy(b)];
    await publish(p, 'LOW', [a.url, b.url]);
    await bothSettled();
    const after_ = await evaluations();
    assert.equal(after_.size, before_.size);
    for (const [unit, count] of after_) assert.equal(count, (before_.get(unit) ?? 0) + 1, `unit ${unit} decided once`);
    const [aDid, bDid] = [(await evaluatedBy(a)) - aBefore, (await evaluatedBy(b)) - bBefore];
    assert.equal(aDid + bDid, after_.size, 'the servers together decided each unit once');
    assert.ok(aDid > 0 && bDid > 0, `both servers took part (${aDid} and ${bDid})`);
    assert.ok(
      (await findings(b.url, 'namespace=prod-shop&rule=vulnerability_age')).some((f) => f.severity === 'LOW'),
      'the tightened threshold found more',
    );
  });

  it('ticks once for both servers when the clock passes an age threshold and an expiry', async () => {
    const before_ = await evaluations();
    await writeFile(p.clock, T1);
    const { waitFor } = await import('../helpers/processes.js');
    await waitFor(async () => ((await findings(a.url, 'namespace=lbc&id=CVE-2024-0553')).length > 0 ? true : undefined), 60_000);
    await bothSettled();
    const after_ = await evaluations();
    for (const [unit, count] of after_) assert.equal(count, (before_.get(unit) ?? 0) + 1, `unit ${unit} decided once for the tick`);
    assert.ok((await findings(b.url, 'namespace=prod-shop&id=CVE-2021-36159')).every((f) => f.state === 'open'));
  });

  it('resolves a removed workload and tells the webhook of every change once', async () => {
    const file = await writeSnapshot(p, 'pods-2.json', snapshot({ withDevTools: false, extraNamespaces: TEAMS }));
    await cli(p, 'inventory', 'import', '--cluster', 'c1', file, '--server', a.url);
    await bothSettled();
    assert.deepEqual(await findings(b.url, 'namespace=dev-tools'), []);
    await assertWebhookMatches(a.url, hook);
  });
});

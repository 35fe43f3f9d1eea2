import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { startServer } from '../../src/serve/index.js';
import { openStore } from '../../src/store/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { event, post, statusUpdate } from './fleet-app.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/migrations.js';
import { assertSummariesMatch, inventoryContract } from './inventory-contract.js';
import { CHANGE_FINDINGS, countLines, FRESH_COUNTS, insertFindings, KEPT_COUNTS } from './rollup-rows.js';
import { storeContract } from './contract.js';
import { createDatabase, startPostgres, type PostgresServer } from './postgres-server.js';

// A real PostgreSQL server, started here; these tests fail (never skip) when it cannot start.
let server: PostgresServer;
let databases = 0;
const freshUrl = () => createDatabase(server, `portcullis_${++databases}`);

before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

storeContract('PostgreSQL', async () => openStore({ driver: 'postgres', url: await freshUrl() }));
inventoryContract('PostgreSQL', async () => openStore({ driver: 'postgres', url: await freshUrl() }));

describe('PostgreSQL store database', () => {
  it('migrates once, also when two servers open it at the same time, and keeps data across reopen', async () => {
    const url = await freshUrl();
    const [a, b] = await Promise.all([openStore({ driver: 'postgres', url }), openStore({ driver: 'postgres', url })]);
    await a.recordDecisions([{ agentId: 'a', timestamp: new Date(), labels: { id: 'a' }, rest: {} }], new Date());
    assert.equal(await b.countDecisions(), 1);
    await Promise.all([a.close(), b.close()]);
    const c = await openStore({ driver: 'postgres', url });
    assert.equal(await c.countDecisions(), 1);
    await c.close();
  });

  it('names the driver, not the URL, when the database cannot be reached', async () => {
    const url = 'postgres://user:secret@127.0.0.1:1/none';
    await assert.rejects(openStore({ driver: 'postgres', url }), (err: Error) => {
      assert.match(err.message, /postgres store cannot be opened/);
      assert.ok(!err.message.includes('secret'));
      return true;
    });
  });
});

describe('portcullis serve with store.driver postgres', () => {
  it('ingests status and gzip decision logs into PostgreSQL and answers queries from it, across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-pg-serve-'));
    await mkdir(join(dir, 'bundles'));
    await writeFile(join(dir, 'bundles', 'tiny.tar.gz'), tinyBundle('r1'));
    await writeFile(join(dir, 'portcullis.yaml'), 'store:\n  driver: postgres\n  url_env: TEST_PG_URL\nbundles:\n  dir: bundles\n');
    const config = await loadConfig(join(dir, 'portcullis.yaml'), { listen: '127.0.0.1:0' }, { TEST_PG_URL: await freshUrl() });
    const first = await startServer(config, pino({ level: 'silent' }));
    try {
      assert.equal((await post(`${first.url}/status`, JSON.stringify(statusUpdate('pg-agent', 'r1')), { 'Content-Type': 'application/json' })).status, 200);
      const batch = gzipSync(JSON.stringify(Array.from({ length: 50 }, (_, i) => event(i, 'pg-agent'))));
      assert.equal((await post(`${first.url}/logs`, batch, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })).status, 200);
    } finally {
      await first.close();
    }
    const second = await startServer(config, pino({ level: 'silent' }));
    try {
      const agents = (await (await fetch(`${second.url}/v1/agents`)).json()) as {
        agents: { id: string; bundles: Record<string, { active_revision: string }> }[];
      };
      assert.deepEqual(
        agents.agents.map((a) => [a.id, a.bundles['tiny']?.active_revision]),
        [['pg-agent', 'r1']],
      );
      const found = (await (await fetch(`${second.url}/v1/decisions?input.images.0=nginx:1.7&result=false&revision=r1&label.env=test`)).json()) as {
        decisions: { req_id: number }[];
      };
      assert.deepEqual(
        found.decisions.map((d) => d.req_id),
        [7],
      );
      const page = (await (await fetch(`${second.url}/v1/decisions?limit=20&order=asc`)).json()) as { decisions: unknown[]; next_cursor: string };
      assert.equal(page.decisions.length, 20);
      assert.ok(page.next_cursor);
    } finally {
      await second.close();
    }
  });
});

describe('PostgreSQL kept summaries and counts', () => {
  it('start equal to the findings of a store upgraded with findings, and stay equal through updates and deletes', async () => {
    const url = await freshUrl();
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      await raw.query('CREATE TABLE portcullis_schema (version INTEGER NOT NULL)');
      for (const [i, sql] of POSTGRES_MIGRATIONS.slice(0, 7).entries()) {
        await raw.query(sql);
        await raw.query('INSERT INTO portcullis_schema (version) VALUES ($1)', [i + 1]);
      }
      for (const sql of insertFindings(300, 1)) await raw.query(sql);
      const store = await openStore({ driver: 'postgres', url });
      const countsMatch = async () => {
        const kept = countLines((await raw.query(KEPT_COUNTS)).rows);
        assert.ok(kept.length > 0);
        assert.deepEqual(kept, countLines((await raw.query(FRESH_COUNTS)).rows));
      };
      try {
        await assertSummariesMatch(store);
        await countsMatch();
        for (const sql of [...insertFindings(200, 2), ...CHANGE_FINDINGS]) await raw.query(sql);
        await assertSummariesMatch(store);
        await countsMatch();
      } finally {
        await store.close();
      }
    } finally {
      await raw.end();
    }
  });
});

describe('PostgreSQL after a large pass', () => {
  it('vacuums the findings, so every page is all-visible again for the index-only reads, and analyzes them', async () => {
    const url = await freshUrl();
    const store = await openStore({ driver: 'postgres', url });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    const visible = async () =>
      (await raw.query<{ pages: number; visible: number }>("SELECT relpages AS pages, relallvisible AS visible FROM pg_class WHERE relname = 'inv_findings'"))
        .rows[0];
    try {
      for (const sql of [...insertFindings(2000, 3), ...CHANGE_FINDINGS]) await raw.query(sql);
      await raw.query('ANALYZE inv_findings');
      assert.equal((await visible())?.visible, 0, 'written pages are not all-visible before a vacuum');
      await raw.query("UPDATE inv_findings SET namespace = 'after-the-last-analyze'");
      const namespaces = async () =>
        (
          await raw.query<{ common: string | null }>(
            "SELECT most_common_vals::text AS common FROM pg_stats WHERE tablename = 'inv_findings' AND attname = 'namespace'",
          )
        ).rows[0]?.common;
      assert.doesNotMatch((await namespaces()) ?? '', /after-the-last-analyze/);
      await store.inventory.afterLargePass();
      const after = await visible();
      assert.ok(after && after.pages > 0 && after.visible === after.pages, JSON.stringify(after));
      assert.match((await namespaces()) ?? '', /after-the-last-analyze/, 'the statistics describe the rows the pass wrote');
    } finally {
      await raw.end();
      await store.close();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations.js';
import { assertSummariesMatch, inventoryContract } from './inventory-contract.js';
import { CHANGE_FINDINGS, countLines, FRESH_COUNTS, insertFindings, KEPT_COUNTS } from './rollup-rows.js';
import { storeContract } from './contract.js';

const tempFile = async () => join(await mkdtemp(join(tmpdir(), 'portcullis-sqlite-')), 'state', 'portcullis.db');

storeContract('SQLite', async () => openStore({ driver: 'sqlite', path: await tempFile() }));
inventoryContract('SQLite', async () => openStore({ driver: 'sqlite', path: await tempFile() }));

describe('SQLite store file', () => {
  it('is created in WAL mode, migrated once, and keeps data across reopen', async () => {
    const path = await tempFile();
    const first = await openStore({ driver: 'sqlite', path });
    await first.recordDecisions([{ agentId: 'a', timestamp: new Date(), labels: { id: 'a' }, rest: {} }], new Date());
    await first.close();
    const second = await openStore({ driver: 'sqlite', path });
    assert.equal(await second.countDecisions(), 1);
    await second.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length, 'every schema version applied');
    db.close();
  });
});

/** A store file migrated only up to `version`, open for writing rows the way that version's code did. */
async function storeAtVersion(version: number): Promise<{ path: string; raw: Database.Database }> {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-sqlite-')), 'portcullis.db');
  const raw = new Database(path);
  SQLITE_MIGRATIONS.slice(0, version).forEach((sql) => raw.exec(sql));
  raw.pragma(`user_version = ${version}`);
  return { path, raw };
}

describe('SQLite scan histories', () => {
  it('read no input where a summary was stored, and summarize the inputs of scans stored before schema 9', async () => {
    const { path, raw } = await storeAtVersion(8);
    const digest = 'sha256:' + 'e'.repeat(64);
    const old = { reports: [{ format: 'trivy', scanner: { name: 'Trivy' }, warnings: [{ code: 'STATUS_UNKNOWN' }] }], summary: { total: 3 } };
    raw
      .prepare('INSERT INTO scans (digest, image, input, decision, stored_at) VALUES (?, ?, ?, ?, ?)')
      .run(digest, 'app:old', JSON.stringify(old), '{"decision":"allow"}', 1);
    raw.close();
    const store = await openStore({ driver: 'sqlite', path });
    await store.putScan({ digest, image: 'app:new', input: { reports: [], summary: { total: 0 } }, decision: { decision: 'deny' }, storedAt: new Date(2) });
    // An input the history would fail to parse: only the summary beside it may be read.
    new Database(path).prepare("UPDATE scans SET input = '{' WHERE image = 'app:new'").run();
    const history = await store.scanHistory(digest, 10);
    await store.close();
    assert.deepEqual(
      history.map((h) => [h.image, h.summary]),
      [
        ['app:new', { reports: [], vulnerabilities: { total: 0 } }],
        [
          'app:old',
          { reports: [{ format: 'trivy', scanner: { name: 'Trivy' }, created: null, input_warnings: { STATUS_UNKNOWN: 1 } }], vulnerabilities: { total: 3 } },
        ],
      ],
    );
  });
});

describe('SQLite kept summaries and counts', () => {
  it('start equal to the findings of a store upgraded with findings, and stay equal through updates and deletes', async () => {
    const { path, raw } = await storeAtVersion(7);
    insertFindings(300, 1).forEach((sql) => raw.exec(sql));
    raw.close();
    const store = await openStore({ driver: 'sqlite', path });
    const countsMatch = () => {
      const db = new Database(path, { readonly: true });
      try {
        const kept = countLines(db.prepare(KEPT_COUNTS).all() as Record<string, unknown>[]);
        assert.ok(kept.length > 0);
        assert.deepEqual(kept, countLines(db.prepare(FRESH_COUNTS).all() as Record<string, unknown>[]));
      } finally {
        db.close();
      }
    };
    try {
      await assertSummariesMatch(store);
      countsMatch();
      const db = new Database(path);
      try {
        for (const sql of [...insertFindings(200, 2), ...CHANGE_FINDINGS]) db.exec(sql);
      } finally {
        db.close();
      }
      await assertSummariesMatch(store);
      countsMatch();
    } finally {
      await store.close();
    }
  });
});

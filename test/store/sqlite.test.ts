import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { inventoryContract } from './inventory-contract.js';
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
    assert.equal(db.pragma('user_version', { simple: true }), 7, 'every schema version applied');
    db.close();
  });
});

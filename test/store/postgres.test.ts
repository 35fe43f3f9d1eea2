import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
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

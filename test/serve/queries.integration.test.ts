import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { CLI } from '../helpers/processes.js';
import { event, post, startFleetApp, statusUpdate, type FleetApp } from '../store/fleet-app.js';

const run = promisify(execFile);
const JSON_GZIP = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' };

describe('fleet queries: GET /v1/agents, GET /v1/decisions and the CLI', () => {
  let app: FleetApp;
  let admin: string;
  const ids = async (query: string) => {
    const res = await fetch(`${app.url}/v1/decisions?${query}`, { headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { decisions: { req_id: number }[] }).decisions.map((d) => d.req_id);
  };

  before(async () => {
    app = await startFleetApp({ authRequired: true });
    admin = (await app.token({ name: 'ops', scopes: ['admin'] })).token;
    const agent = (await app.token({ name: 'edge', group: 'edge' })).token;
    const headers = { ...JSON_GZIP, Authorization: `Bearer ${agent}` };
    const batch = Array.from({ length: 12 }, (_, i) =>
      event(i, i < 6 ? 'agent-a' : 'agent-b', {
        labels: { id: i < 6 ? 'agent-a' : 'agent-b', env: i < 6 ? 'prod' : 'dev', version: '1.10.0' },
        bundles: { tiny: { revision: i % 4 === 0 ? 'r2' : 'r1' } },
        input: { user: { name: i === 5 ? 'carol' : 'alice', level: i }, tags: ['a', 'b'] },
        result: i % 3 === 0 ? { allow: true, reasons: [] } : { allow: false, reasons: ['x'] },
        path: i % 2 ? 'tiny/allow' : 'other/deny',
      }),
    );
    assert.equal((await post(`${app.url}/logs`, gzipSync(JSON.stringify(batch)), headers)).status, 200);
    for (const [id, rev] of [
      ['agent-a', 'r1'],
      ['agent-b', 'r2'],
    ] as const) {
      assert.equal(
        (await post(`${app.url}/status`, JSON.stringify(statusUpdate(id, rev)), { 'Content-Type': 'application/json', Authorization: `Bearer ${agent}` }))
          .status,
        200,
      );
    }
  });
  after(() => app.close());

  it('lists agents with labels, OPA version, active revision per bundle and last request', async () => {
    const res = await fetch(`${app.url}/v1/agents`, { headers: { Authorization: `Bearer ${admin}` } });
    const { agents } = (await res.json()) as {
      agents: { id: string; opa_version: string; bundles: Record<string, { active_revision: string }>; last_request: string; auth: { group: string } }[];
    };
    assert.deepEqual(
      agents.map((a) => [a.id, a.bundles['tiny']?.active_revision]),
      [
        ['agent-a', 'r1'],
        ['agent-b', 'r2'],
      ],
    );
    assert.equal(agents[0]?.opa_version, '1.10.0');
    assert.ok(agents[0]?.last_request);
    assert.equal(agents[0]?.auth.group, 'edge');
  });

  it('filters decisions by path, result, revision, label, input, agent and time, newest first', async () => {
    assert.deepEqual(await ids('path=tiny/allow&order=asc'), [1, 3, 5, 7, 9, 11]);
    assert.deepEqual(await ids('path=/tiny/allow&label.env=prod'), [5, 3, 1]);
    assert.deepEqual(await ids(`result=${encodeURIComponent('{"reasons":[],"allow":true}')}`), [9, 6, 3, 0]);
    assert.deepEqual(await ids('revision=r2'), [8, 4, 0]);
    assert.deepEqual(await ids('input.user.name=carol'), [5]);
    assert.deepEqual(await ids('input.user.level=7'), [7]);
    assert.deepEqual(await ids(`input.tags=${encodeURIComponent('["a","b"]')}&agent=agent-a&order=asc&limit=2`), [0, 1]);
    const t = (i: number) => encodeURIComponent(event(i)['timestamp'] as string);
    assert.deepEqual(await ids(`since=${t(3)}&until=${t(5)}`), [5, 4, 3]);
  });

  it('pages with limit and cursor', async () => {
    const headers = { Authorization: `Bearer ${admin}` };
    const first = (await (await fetch(`${app.url}/v1/decisions?limit=5`, { headers })).json()) as { decisions: { req_id: number }[]; next_cursor: string };
    assert.deepEqual(
      first.decisions.map((d) => d.req_id),
      [11, 10, 9, 8, 7],
    );
    const second = (await (await fetch(`${app.url}/v1/decisions?limit=5&cursor=${first.next_cursor}`, { headers })).json()) as {
      decisions: { req_id: number }[];
      next_cursor: string;
    };
    assert.deepEqual(
      second.decisions.map((d) => d.req_id),
      [6, 5, 4, 3, 2],
    );
  });

  it('answers CSV for ?format=csv and Accept: text/csv', async () => {
    const viaQuery = await fetch(`${app.url}/v1/decisions?format=csv&input.user.name=carol`, { headers: { Authorization: `Bearer ${admin}` } });
    assert.match(viaQuery.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = (await viaQuery.text()).trimEnd().split('\r\n');
    assert.equal(lines[0], 'id,timestamp,agent_id,decision_id,path,revisions,result,input,error,received_at');
    assert.equal(lines.length, 2);
    assert.match(lines[1] ?? '', /,agent-a,.*,tiny\/allow,tiny=r1,"{""allow"":false,""reasons"":\[""x""\]}",/);
    const viaAccept = await fetch(`${app.url}/v1/agents`, { headers: { Authorization: `Bearer ${admin}`, Accept: 'text/csv' } });
    assert.match(await viaAccept.text(), /^id,opa_version,revisions,/);
  });

  it('refuses unknown parameters, bad times, limits, orders and cursors with 400', async () => {
    for (const q of ['pth=x', 'since=tomorrow', 'limit=0', 'limit=5000', 'order=sideways', 'cursor=bogus', 'format=xml', 'label.bad"key=1', 'path=a&path=b']) {
      const res = await fetch(`${app.url}/v1/decisions?${q}`, { headers: { Authorization: `Bearer ${admin}` } });
      assert.equal(res.status, 400, q);
      assert.equal(((await res.json()) as { code: string }).code, 'REQUEST_INVALID', q);
    }
  });

  it('portcullis agents and decisions query the server (json, csv, table)', async () => {
    const env = { ...process.env, PORTCULLIS_TOKEN: admin };
    const agents = await run(process.execPath, [CLI, 'agents', '--server', app.url, '--output', 'json'], { env });
    assert.equal((JSON.parse(agents.stdout) as { agents: unknown[] }).agents.length, 2);
    const table = await run(process.execPath, [CLI, 'agents', '--server', app.url], { env });
    assert.match(table.stdout, /^id\s+opa_version\s+revisions/);
    assert.match(table.stdout, /agent-b\s+1\.10\.0\s+tiny=r2/);
    const csv = await run(process.execPath, [
      CLI,
      'decisions',
      '--server',
      app.url,
      '--token',
      admin,
      '--label',
      'env=dev',
      '--input',
      'user.name=alice',
      '--result',
      '{"allow":true,"reasons":[]}',
      '-o',
      'csv',
    ]);
    assert.equal(csv.stdout.trimEnd().split('\r\n').length, 3);
    const all = await run(process.execPath, [CLI, 'decisions', '--server', app.url, '--limit', '5', '--all', '-o', 'json'], { env });
    assert.equal((JSON.parse(all.stdout) as { decisions: unknown[] }).decisions.length, 12);
  });

  it('exits 2 with the server message when the token is refused, and 3 when the server is down', async () => {
    const refused = await run(process.execPath, [CLI, 'agents', '--server', app.url, '--token', 'pcl_bad'], {
      env: { ...process.env, PORTCULLIS_TOKEN: '' },
    }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((refused as { code: number }).code, 2);
    assert.match((refused as { stderr: string }).stderr, /answered 401/);
    const down = await run(process.execPath, [CLI, 'agents', '--server', 'http://127.0.0.1:1'], {}).catch((e: { code: number }) => e);
    assert.equal((down as { code: number }).code, 3);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from '../../src/compile/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { toolchain } from '../helpers/opa.js';
import { CLI, freePort, start, startPortcullis, waitFor, type Child } from '../helpers/processes.js';

const run = promisify(execFile);

interface Agent {
  readonly name: string;
  readonly url: string;
  readonly tokenId: string;
  readonly child: Child;
}

// Three real OPA agents with bearer tokens poll portcullis (auth required),
// report status and upload decision logs; the fleet view and the decision
// store show them, survive a restart, and a revoked token cuts its agent off.
describe('a fleet of real OPA agents reports status and decisions to portcullis', () => {
  let dir: string;
  let config: string;
  let server: Child & { url: string };
  let admin: string;
  const agents: Agent[] = [];

  const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { cwd: dir })).stdout;
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  type AgentView = {
    id: string;
    labels: Record<string, string>;
    opa_version?: string;
    bundles: Record<string, { active_revision?: string }>;
    auth?: { agent?: string };
  };
  type Decisions = { decisions: { decision_id: string; labels: Record<string, string>; input: { user: string } }[] };
  const fleet = () => api<{ agents: AgentView[] }>('/v1/agents').then((r) => r.agents);
  const agentStatus = async (a: Agent) =>
    (
      (await (await fetch(`${a.url}/v1/status`)).json()) as {
        result: { bundles: Record<string, { active_revision?: string; http_code?: number; message?: string }> };
      }
    ).result;
  const decide = async (a: Agent, user: string) => {
    const res = await fetch(`${a.url}/v1/data/tiny/allow`, { method: 'POST', body: JSON.stringify({ input: { user, images: ['nginx:1.27'] } }) });
    assert.equal(((await res.json()) as { result: unknown }).result, true);
  };
  const startServer = async (port = 0) => startPortcullis(join(dir, 'bundles'), ['--config', config, '--listen', `127.0.0.1:${port}`]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-fleet-e2e-'));
    await mkdir(join(dir, 'bundles'));
    await writeFileAtomic(join(dir, 'bundles', 'tiny.tar.gz'), tinyBundle('r1'));
    config = join(dir, 'portcullis.yaml');
    await writeFile(config, 'auth:\n  required: true\nstate:\n  dir: state\n');
    admin = (JSON.parse(await cli('tokens', 'create', '--name', 'ops', '--scopes', 'admin', '--json', '--config', config)) as { token: string }).token;
    server = await startServer();
    for (const name of ['edge-1', 'edge-2', 'edge-3']) {
      const created = JSON.parse(await cli('tokens', 'create', '--name', name, '--agent', name, '--bundles', 'tiny', '--json', '--config', config)) as {
        token: string;
        id: string;
      };
      const port = await freePort();
      const opaConfig = {
        labels: { name, region: 'eu' },
        services: { portcullis: { url: server.url, credentials: { bearer: { token: created.token } } } },
        bundles: { tiny: { service: 'portcullis', resource: 'bundles/tiny', polling: { min_delay_seconds: 1, max_delay_seconds: 1 } } },
        status: { service: 'portcullis' },
        decision_logs: { service: 'portcullis', reporting: { min_delay_seconds: 1, max_delay_seconds: 1 } },
      };
      await writeFile(join(dir, `${name}.json`), JSON.stringify(opaConfig));
      const child = start(toolchain().opa, [
        'run',
        '--server',
        '--addr',
        `127.0.0.1:${port}`,
        '--config-file',
        join(dir, `${name}.json`),
        '--log-level',
        'error',
      ]);
      agents.push({ name, url: `http://127.0.0.1:${port}`, tokenId: created.id, child });
    }
    for (const a of agents) {
      await waitFor(
        async () => ((await fetch(`${a.url}/health?bundles`).catch(() => undefined))?.status === 200 ? true : undefined),
        30_000,
        () => a.child.output() + server.output(),
      );
    }
  });

  after(async () => {
    for (const a of agents) await a.child.stop();
    await server?.stop();
  });

  it('shows every agent with its labels, OPA version and active revision in GET /v1/agents', async () => {
    const view = await waitFor(
      async () => {
        const all = await fleet();
        return all.length === 3 && all.every((a) => a.bundles['tiny']?.active_revision === 'r1') ? all : undefined;
      },
      20_000,
      () => server.output(),
    );
    assert.deepEqual(view.map((a) => a.labels['name']).sort(), ['edge-1', 'edge-2', 'edge-3']);
    assert.deepEqual(view.map((a) => a.auth?.agent).sort(), ['edge-1', 'edge-2', 'edge-3']);
    assert.ok(view.every((a) => a.opa_version && a.labels['region'] === 'eu'));
  });

  it("stores each agent's decisions, found by label, input, path, result and revision", async () => {
    for (const a of agents) for (const i of [1, 2]) await decide(a, `${a.name}-user-${i}`);
    const all = await waitFor(
      async () => {
        const r = await api<Decisions>('/v1/decisions?path=tiny/allow&limit=1000');
        return r.decisions.length >= 6 ? r : undefined;
      },
      20_000,
      () => server.output(),
    );
    assert.equal(all.decisions.length, 6);
    const byLabel = await api<Decisions>('/v1/decisions?label.name=edge-2');
    assert.deepEqual(byLabel.decisions.map((d) => d.input.user).sort(), ['edge-2-user-1', 'edge-2-user-2']);
    const byInput = await api<Decisions>('/v1/decisions?input.user=edge-3-user-1&result=true&revision=r1&label.region=eu');
    assert.equal(byInput.decisions.length, 1);
    assert.equal(byInput.decisions[0]?.labels['name'], 'edge-3');
    assert.equal((await api<Decisions>('/v1/decisions?revision=r0')).decisions.length, 0);
    assert.match(await cli('decisions', '--server', server.url, '--token', admin, '--label', 'name=edge-1', '-o', 'csv'), /edge-1-user-2/);
  });

  it('loses nothing stored across a server restart', async () => {
    const before = await api<Decisions>('/v1/decisions?limit=1000');
    const agentsBefore = (await fleet()).map((a) => a.id).sort();
    const port = new URL(server.url).port;
    await server.stop();
    server = await startServer(Number(port));
    const after = await api<Decisions>('/v1/decisions?limit=1000');
    const ids = new Set(after.decisions.map((d) => d.decision_id));
    assert.ok(before.decisions.length >= 6);
    assert.ok(
      before.decisions.every((d) => ids.has(d.decision_id)),
      'every decision stored before the restart is still there',
    );
    assert.deepEqual((await fleet()).map((a) => a.id).sort(), agentsBefore);
  });

  it('cuts off an agent whose token is revoked: 401 on its next poll, and no new bundles', async () => {
    const [one, two, revoked] = agents as [Agent, Agent, Agent];
    assert.match(await cli('tokens', 'revoke', revoked.tokenId, '--config', config), /revoked/);
    const status = await waitFor(
      async () => {
        const s = (await agentStatus(revoked)).bundles['tiny'];
        return s?.http_code === 401 ? s : undefined;
      },
      15_000,
      () => revoked.child.output(),
    );
    assert.match(status.message ?? '', /Unauthorized/);
    await writeFileAtomic(join(dir, 'bundles', 'tiny.tar.gz'), tinyBundle('r2'));
    for (const a of [one, two]) {
      await waitFor(
        async () => ((await agentStatus(a)).bundles['tiny']?.active_revision === 'r2' ? true : undefined),
        20_000,
        () => a.child.output(),
      );
    }
    await waitFor(async () => ((await fleet()).filter((a) => a.bundles['tiny']?.active_revision === 'r2').length === 2 ? true : undefined), 10_000);
    assert.equal((await agentStatus(revoked)).bundles['tiny']?.active_revision, 'r1');
  });
});

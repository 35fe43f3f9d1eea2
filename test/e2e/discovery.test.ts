import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../../src/compile/index.js';
import { generateKeyMaterial, loadSigningKey, signBundle, type GeneratedKey } from '../../src/sign/index.js';
import { tinyBundle } from '../helpers/bundles.js';
import { toolchain } from '../helpers/opa.js';
import { CLI, freePort, start, waitFor, type Child } from '../helpers/processes.js';

// Three agents that know only the discovery URL, their labels and a bearer
// token: each gets its group's bundles, signing keys, long polling, status
// and decision-log reporting from the signed discovery bundle; a publish
// reaches every agent of the group at once, and the fleet view shows it.
describe('agents bootstrapped only by discovery', () => {
  let dir: string;
  let server: Child & { url: string };
  const agents: { labels: Record<string, string>; url: string; child: Child }[] = [];
  let bundleKey: GeneratedKey;
  let admin: string;

  const cli = async (...args: string[]) => (await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: dir })).stdout;
  const token = async (...args: string[]) =>
    (JSON.parse(await cli('tokens', 'create', '--json', '--config', join(dir, 'portcullis.json'), ...args)) as { token: string }).token;
  const api = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${admin}` } })).json()) as T;
  const activeRevision = async (url: string, bundle: string) => {
    const res = await fetch(`${url}/v1/status`).catch(() => undefined);
    if (!res?.ok) return undefined;
    return ((await res.json()) as { result: { bundles?: Record<string, { active_revision?: string }> } }).result.bundles?.[bundle]?.active_revision;
  };

  const sign = async (bytes: Uint8Array) =>
    signBundle(bytes, { algorithm: 'ES256', key: loadSigningKey(bundleKey.privateMaterial, 'ES256', 'test'), keyId: 'bundles-2026' });
  const publish = async (name: string, revision: string, root: string) =>
    writeFileAtomic(join(dir, 'bundles', `${name}.tar.gz`), await sign(tinyBundle(revision, [root])));
  const revisionOf = async (url: string, bundle: string) => {
    const res = await fetch(`${url}/v1/data/system/bundles/${bundle}/manifest/revision`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as { result?: string }).result : undefined;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-discovery-'));
    bundleKey = generateKeyMaterial('ES256', 'bundles-2026');
    const discoveryKey = generateKeyMaterial('RS256', 'discovery');
    await writeFile(join(dir, 'bundles.pub.pem'), bundleKey.publicPem!);
    await writeFile(join(dir, 'discovery.pub.pem'), discoveryKey.publicPem!);
    await writeFile(join(dir, 'discovery.key.pem'), discoveryKey.privateMaterial, { mode: 0o600 });
    await publish('prod-policy', 'p1', 'prodp');
    await publish('dev-policy', 'd1', 'devp');
    const config = {
      auth: { required: true },
      state: { dir: 'state' },
      bundles: { dir: 'bundles', signing: { required: true } },
      keys: { 'bundles-2026': { algorithm: 'ES256', key: 'bundles.pub.pem' }, discovery: { algorithm: 'RS256', key: 'discovery.pub.pem' } },
      fleet: {
        discovery: { signing: { key: 'discovery.key.pem', algorithm: 'RS256', keyid: 'discovery' } },
        groups: [
          {
            name: 'prod',
            labels: { env: 'prod' },
            bundles: ['prod-policy'],
            keyid: 'bundles-2026',
            long_polling_timeout_seconds: 20,
            polling: { min_delay_seconds: 120, max_delay_seconds: 180 },
          },
          // No pinned key id: the agent takes it from the token's kid, and still refuses unsigned bundles.
          {
            name: 'dev',
            labels: { env: 'dev' },
            bundles: ['dev-policy'],
            long_polling_timeout_seconds: 20,
            polling: { min_delay_seconds: 120, max_delay_seconds: 180 },
          },
        ],
      },
    };
    await writeFile(join(dir, 'portcullis.json'), JSON.stringify(config));
    admin = await token('--name', 'ops', '--scopes', 'admin');
    const child = start(process.execPath, [CLI, 'serve', '--config', join(dir, 'portcullis.json'), '--listen', '127.0.0.1:0'], { cwd: dir });
    const url = await waitFor(
      () =>
        /"url":"([^"]+)"/.exec(
          child
            .output()
            .split('\n')
            .find((l) => l.includes('"msg":"listening"')) ?? '',
        )?.[1],
      15_000,
      () => child.output(),
    );
    server = { ...child, url };
    for (const [i, env] of ['prod', 'dev', 'prod'].entries()) {
      const port = await freePort();
      const boot = {
        labels: { env, name: `agent-${i}` },
        services: { portcullis: { url: server.url, credentials: { bearer: { token: await token('--name', `agent-${i}`, '--agent', `agent-${i}`) } } } },
        discovery: { service: 'portcullis', resource: 'bundles/discovery', decision: 'portcullis/discovery/config', signing: { keyid: 'discovery' } },
        keys: { discovery: { algorithm: 'RS256', key: discoveryKey.publicPem } },
      };
      const bootFile = join(dir, `agent-${port}.json`);
      await writeFile(bootFile, JSON.stringify(boot));
      const agent = start(toolchain().opa, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', bootFile, '--log-level', 'error']);
      agents.push({ labels: { env }, url: `http://127.0.0.1:${port}`, child: agent });
    }
    for (const a of agents) {
      const bundle = a.labels['env'] === 'prod' ? 'prod-policy' : 'dev-policy';
      await waitFor(
        async () => ((await activeRevision(a.url, bundle)) ? true : undefined),
        30_000,
        () => a.child.output() + server.output(),
      );
    }
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.child.stop()));
    await server?.stop();
  });

  it('gives each agent the bundles of its group and nothing else', async () => {
    for (const a of agents) {
      const prod = a.labels['env'] === 'prod';
      assert.equal(await revisionOf(a.url, prod ? 'prod-policy' : 'dev-policy'), prod ? 'p1' : 'd1');
      assert.equal(await revisionOf(a.url, prod ? 'dev-policy' : 'prod-policy'), undefined);
      const labels = (await (await fetch(`${a.url}/v1/config`)).json()) as { result: { labels: Record<string, string> } };
      assert.equal(labels.result.labels['portcullis_group'], prod ? 'prod' : 'dev');
    }
  });

  it('pushes a new signed revision to every agent of the group through long polling', async () => {
    await publish('prod-policy', 'p2', 'prodp');
    for (const a of agents.filter((x) => x.labels['env'] === 'prod')) {
      await waitFor(
        async () => ((await activeRevision(a.url, 'prod-policy')) === 'p2' ? true : undefined),
        20_000,
        () => a.child.output(),
      );
    }
    const dev = agents.find((x) => x.labels['env'] === 'dev')!;
    assert.equal(await activeRevision(dev.url, 'dev-policy'), 'd1');
  });

  it('shows the agents, their groups and active revisions, and their decisions on the server', async () => {
    type View = { labels: Record<string, string>; bundles: Record<string, { active_revision?: string }> };
    const view = await waitFor(
      async () => {
        const all = (await api<{ agents: View[] }>('/v1/agents')).agents;
        const prod = all.filter((a) => a.labels['portcullis_group'] === 'prod');
        return all.length === 3 && prod.length === 2 && prod.every((a) => a.bundles['prod-policy']?.active_revision === 'p2') ? all : undefined;
      },
      20_000,
      () => server.output(),
    );
    assert.deepEqual(view.map((a) => a.labels['name']).sort(), ['agent-0', 'agent-1', 'agent-2']);
    for (const a of agents) {
      const res = await fetch(`${a.url}/v1/data/${a.labels['env'] === 'prod' ? 'prodp' : 'devp'}/allow`, {
        method: 'POST',
        body: JSON.stringify({ input: { who: a.labels['env'] } }),
      });
      const body = (await res.json()) as { result: unknown; decision_id?: string };
      assert.equal(body.result, true);
      assert.match(body.decision_id ?? '', /^[0-9a-f-]{36}$/, 'decision logging is on, so OPA gives a decision id');
    }
    const decisions = await waitFor(
      async () => {
        const r = await api<{ decisions: { labels: Record<string, string> }[] }>('/v1/decisions?label.portcullis_group=prod');
        return r.decisions.length >= 2 ? r.decisions : undefined;
      },
      30_000,
      () => server.output(),
    );
    assert.ok(decisions.every((d) => d.labels['env'] === 'prod'));
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${admin}` } })).text();
    assert.ok(Number(/portcullis_ingested_total\{kind="decisions"\} (\d+)/.exec(metrics)?.[1]) >= 2, 'ingested decisions are counted');
    assert.ok(Number(/portcullis_ingested_total\{kind="status"\} (\d+)/.exec(metrics)?.[1]) >= 3, 'status updates are counted');
  });

  it('keeps agents on the last good revision when an unsigned bundle is dropped in', async () => {
    await writeFileAtomic(join(dir, 'bundles', 'prod-policy.tar.gz'), tinyBundle('p3-unsigned', ['prodp']));
    const states = await waitFor(async () => {
      const body = await api<{ bundles: { name: string; lastError?: string; revision?: string }[] }>('/v1/bundles');
      const prod = body.bundles.find((b) => b.name === 'prod-policy');
      return prod?.lastError ? prod : undefined;
    }, 10_000);
    assert.equal(states.revision, 'p2');
    for (const a of agents.filter((x) => x.labels['env'] === 'prod')) assert.equal(await revisionOf(a.url, 'prod-policy'), 'p2');
  });
});

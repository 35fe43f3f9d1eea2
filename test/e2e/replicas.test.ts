// Two `portcullis serve` replicas on one real PostgreSQL and one bundle
// folder, each in front of a real OPA agent through a stand-in Service that
// routes to whichever replica accepts (no client affinity). A publish reaches
// the agents long-polling on either replica within a second; a scan uploaded
// through one replica decides admission on the other; every fleet answer is
// the same on both; and a replica killed with SIGKILL while agents poll and
// upload decision logs loses no acknowledged event.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from '../../src/compile/index.js';
import { admissionBundle, review, trivyReport } from '../gatekeeper/admission-fixture.js';
import { tinyBundle } from '../helpers/bundles.js';
import { toolchain } from '../helpers/opa.js';
import { CLI, freePort, start, startPortcullis, waitFor, type Child } from '../helpers/processes.js';
import { createDatabase, startPostgres, type PostgresServer } from '../store/postgres-server.js';
import { startBalancer, type Balancer } from './balancer.js';

const run = promisify(execFile);
const IMAGE = `registry.example.com/shop/api@sha256:${'ab'.repeat(32)}`;

interface Agent {
  readonly name: string;
  readonly url: string;
  readonly child: Child;
  readonly balancer: Balancer;
}

describe('two portcullis replicas on one PostgreSQL', { timeout: 240_000 }, () => {
  let postgres: PostgresServer;
  let dir: string;
  let config: string;
  let admin: string;
  const replicas: (Child & { url: string })[] = [];
  const agents: Agent[] = [];
  const decided: string[] = [];

  const [a, b] = [() => replicas[0] as Child & { url: string }, () => replicas[1] as Child & { url: string }];
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { cwd: dir })).stdout;
  const get = async (replica: string, path: string): Promise<unknown> => {
    const res = await fetch(`${replica}${path}`, { headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}\n${replicas.map((r) => r.output().slice(-2000)).join('\n')}`);
    return res.json();
  };
  const revision = async (agent: Agent) => {
    const res = await fetch(`${agent.url}/v1/data/system/bundles/tiny/manifest/revision`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as { result?: string }).result : undefined;
  };
  const decide = async (agent: Agent, user: string) => {
    const res = await fetch(`${agent.url}/v1/data/tiny/allow`, { method: 'POST', body: JSON.stringify({ input: { user } }) });
    const body = (await res.json()) as { result: unknown; decision_id?: string };
    assert.equal(body.result, true);
    assert.ok(body.decision_id, 'decision logging gives every decision an id');
    decided.push(body.decision_id);
  };
  const admit = async (replica: string) => {
    const res = await fetch(`${replica}/v1/admission`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(review({ namespace: 'payments', containers: [IMAGE], uid: 'replicas' })),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { response: { allowed: boolean; status?: { message?: string } } }).response;
  };
  const storedDecisionIds = async (replica: string): Promise<Set<string>> => {
    const ids = new Set<string>();
    let cursor = '';
    for (;;) {
      const page = (await get(replica, `/v1/decisions?limit=1000&order=asc${cursor}`)) as { decisions: { decision_id?: string }[]; next_cursor?: string };
      for (const d of page.decisions) if (d.decision_id) ids.add(d.decision_id);
      if (!page.next_cursor) return ids;
      cursor = `&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
  };

  before(async () => {
    postgres = await startPostgres();
    const url = await createDatabase(postgres, 'replicas_e2e');
    dir = await mkdtemp(join(tmpdir(), 'portcullis-replicas-e2e-'));
    await mkdir(join(dir, 'bundles'));
    await writeFileAtomic(join(dir, 'bundles', 'tiny.tar.gz'), tinyBundle('r1'));
    await copyFile(await admissionBundle(), join(dir, 'bundles', 'admission-policy.tar.gz'));
    config = join(dir, 'portcullis.yaml');
    await writeFile(
      config,
      [
        'auth: { required: true }',
        `store: { driver: postgres, url: "${url}" }`,
        'admission:',
        '  namespaces: { payments: { portcullis.dev/environment: prod } }',
      ].join('\n'),
    );
    admin = (JSON.parse(await cli('tokens', 'create', '--name', 'ops', '--scopes', 'admin', '--json', '--config', config)) as { token: string }).token;
    for (let i = 0; i < 2; i++) replicas.push(await startPortcullis(join(dir, 'bundles'), ['--config', config]));

    // Agent i prefers replica i and fails over to the other, as a Service would route it.
    for (const [i, name] of ['agent-a', 'agent-b'].entries()) {
      const token = (
        JSON.parse(await cli('tokens', 'create', '--name', name, '--agent', name, '--bundles', 'tiny', '--json', '--config', config)) as { token: string }
      ).token;
      const balancer = await startBalancer(() => (i === 0 ? [a().url, b().url] : [b().url, a().url]));
      const port = await freePort();
      const opaConfig = {
        labels: { name },
        services: { portcullis: { url: balancer.url, credentials: { bearer: { token } } } },
        bundles: {
          tiny: {
            service: 'portcullis',
            resource: 'bundles/tiny',
            // Far longer than the test: only a held long poll can deliver a new revision in time.
            polling: { min_delay_seconds: 120, max_delay_seconds: 180, long_polling_timeout_seconds: 30 },
          },
        },
        status: { service: 'portcullis' },
        decision_logs: { service: 'portcullis', reporting: { min_delay_seconds: 1, max_delay_seconds: 1 } },
      };
      await writeFile(join(dir, `${name}.json`), JSON.stringify(opaConfig));
      const args = ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', join(dir, `${name}.json`), '--log-level', 'error'];
      agents.push({ name, url: `http://127.0.0.1:${port}`, child: start(toolchain().opa, args), balancer });
    }
    for (const agent of agents) {
      await waitFor(
        async () => ((await revision(agent)) === 'r1' ? true : undefined),
        30_000,
        () => agent.child.output(),
      );
    }
  });

  after(async () => {
    for (const agent of agents) {
      await agent.child.stop();
      await agent.balancer.close();
    }
    for (const replica of replicas) await replica.stop();
    await postgres?.stop();
  });

  it('wakes the agents long-polling on either replica within 1 s of a publish', async (t) => {
    const [agentA, agentB] = agents as [Agent, Agent];
    // Each agent's request is held by its own replica before the publish.
    await waitFor(() => (agentA.balancer.held(a().url) > 0 && agentB.balancer.held(b().url) > 0 ? true : undefined), 30_000);
    const published = Date.now();
    await writeFileAtomic(join(dir, 'bundles', 'tiny.tar.gz'), tinyBundle('r2'));
    for (const [agent, replica] of [
      [agentA, a()],
      [agentB, b()],
    ] as const) {
      const delivery = await waitFor(
        () => agent.balancer.deliveries.find((d) => d.path.startsWith('/bundles/tiny') && d.at >= published),
        10_000,
        () => replica.output(),
      );
      assert.equal(delivery.backend, replica.url, `${agent.name} got r2 from the replica that held its request`);
      t.diagnostic(`${agent.name} got the new revision from its replica ${delivery.at - published} ms after the publish`);
      assert.ok(delivery.at - published < 1000, `${agent.name} got the new revision ${delivery.at - published} ms after the publish`);
      await waitFor(async () => ((await revision(agent)) === 'r2' ? true : undefined), 10_000);
    }
  });

  it('decides admission on replica B with a scan uploaded through replica A', async () => {
    const before = await admit(b().url);
    assert.equal(before.allowed, false);
    assert.match(before.status?.message ?? '', /has no stored scan result/);

    const upload = await fetch(`${a().url}/v1/reports`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin}` },
      body: JSON.stringify({ image: IMAGE, report: trivyReport(IMAGE, ['CVE-2024-9999']) }),
    });
    assert.equal(upload.status, 201, await upload.clone().text());
    // B had cached "no scan" for this digest; A's notice replaces it long before the 5 s read cache would expire.
    const afterUpload = await waitFor(async () => {
      const r = await admit(b().url);
      return /no stored scan result/.test(r.status?.message ?? '') ? undefined : r;
    }, 2000);
    assert.equal(afterUpload.allowed, false);
    assert.match(afterUpload.status?.message ?? '', /CVE-2024-9999 in openssl is CRITICAL/);
    assert.deepEqual(await admit(a().url), afterUpload, 'both replicas decide the same');
    assert.deepEqual(await get(a().url, `/v1/reports/sha256:${'ab'.repeat(32)}`), await get(b().url, `/v1/reports/sha256:${'ab'.repeat(32)}`));
  });

  it('answers fleet queries the same on both replicas: tokens, agents, decisions, bundles', async () => {
    for (const agent of agents) for (const i of [1, 2, 3]) await decide(agent, `${agent.name}-${i}`);
    await waitFor(async () => ((await storedDecisionIds(a().url)).size >= decided.length ? true : undefined), 20_000);
    const paths = ['/v1/agents', '/v1/decisions?limit=1000'];
    // Status keeps arriving, so compare answers taken back to back until they agree.
    await waitFor(
      async () => {
        const [fromA, fromB] = [await Promise.all(paths.map((p) => get(a().url, p))), await Promise.all(paths.map((p) => get(b().url, p)))];
        return JSON.stringify(fromA) === JSON.stringify(fromB) ? true : undefined;
      },
      10_000,
      () => 'the replicas kept answering differently',
    );
    const agentsView = (await get(b().url, '/v1/agents')) as { agents: { labels: { name?: string }; bundles: Record<string, { active_revision?: string }> }[] };
    assert.deepEqual(agentsView.agents.map((x) => [x.labels.name, x.bundles['tiny']?.active_revision]).sort(), [
      ['agent-a', 'r2'],
      ['agent-b', 'r2'],
    ]);
    // publishedAt (of the bundle and of each revision in its history) is when each replica loaded the file;
    // what agents see (name, revision, ETag, size) is the same.
    const withoutTimes = ({ publishedAt: _, ...rest }: Record<string, unknown>) => rest;
    const bundles = async (replica: string) =>
      ((await get(replica, '/v1/bundles')) as { bundles: Record<string, unknown>[] }).bundles.map((b) => ({
        ...withoutTimes(b),
        ...(Array.isArray(b['history']) ? { history: (b['history'] as Record<string, unknown>[]).map(withoutTimes) } : {}),
      }));
    assert.deepEqual(await bundles(a().url), await bundles(b().url));
  });

  it('loses no acknowledged decision-log event when a replica is killed with SIGKILL mid-traffic', async () => {
    const [agentA, agentB] = agents as [Agent, Agent];
    const acknowledged = () => agents.flatMap((x) => x.balancer.batches.filter((batch) => batch.status === 200));
    let deciding = true;
    const traffic = (async () => {
      for (let i = 0; deciding; i++) {
        await Promise.all([decide(agentA, `kill-a-${i}`), decide(agentB, `kill-b-${i}`)]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // Replica A must have acknowledged some of this traffic before it dies.
    const startedAt = acknowledged().length;
    await waitFor(
      () =>
        acknowledged()
          .slice(startedAt)
          .some((batch) => batch.backend === a().url)
          ? true
          : undefined,
      20_000,
    );
    a().process.kill('SIGKILL');
    await new Promise((resolve) => a().process.once('exit', resolve));
    await waitFor(() => (acknowledged().some((batch) => batch.backend === b().url && agentA.balancer.batches.includes(batch)) ? true : undefined), 30_000);
    deciding = false;
    await traffic;

    // Every batch a replica acknowledged is in the database, including those replica A acknowledged just before it died.
    // The agents keep uploading what they buffered while the store is listed, so only batches acknowledged before the
    // listing began are expected in it.
    const fromA = acknowledged().filter((batch) => batch.backend === a().url);
    assert.ok(fromA.length > 0);
    const acknowledgedIds = acknowledged().flatMap((batch) => batch.decisionIds);
    const stored = await storedDecisionIds(b().url);
    const missing = acknowledgedIds.filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], 'acknowledged decisions missing from the store');
    // And nothing is lost at all: the agents resend what was not acknowledged, now to replica B.
    await waitFor(
      async () => {
        const now = await storedDecisionIds(b().url);
        return decided.every((id) => now.has(id)) ? true : undefined;
      },
      30_000,
      () => `${decided.length} decisions made; ${agentA.child.output()}`,
    );

    // Agent A now polls replica B and still gets new revisions.
    await writeFileAtomic(join(dir, 'bundles', 'tiny.tar.gz'), tinyBundle('r3'));
    for (const agent of agents)
      await waitFor(
        async () => ((await revision(agent)) === 'r3' ? true : undefined),
        60_000,
        () => agent.child.output(),
      );
  });
});

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertWebhookMatches,
  cli,
  configYaml,
  findings,
  getJson,
  JUICE_SHOP,
  operatorReport,
  project,
  publish,
  receiver,
  serve,
  settled,
  snapshot,
  T1,
  UBUNTU,
  uploadJuiceShop,
  writeSnapshot,
  type Portcullis,
  type Project,
} from './inventory-scenario.js';
import { review } from '../gatekeeper/admission-fixture.js';

// What runs where, and what it violates now, through one real `portcullis
// serve` on SQLite: every step of the inventory's "must show".
describe('inventory end to end (SQLite, one server)', () => {
  let p: Project;
  let server: Portcullis;
  let hook: Awaited<ReturnType<typeof receiver>>;

  before(async () => {
    p = await project();
    hook = await receiver();
    const config = join(p.dir, 'portcullis.yaml');
    await writeFile(config, configYaml(p, 'store: { driver: sqlite, path: inventory.db }', hook.url));
    server = await serve(p, config);
  });
  after(async () => {
    await server?.stop();
    hook?.close();
  });

  it('imports a pod snapshot and scans from the real fixtures, and finds what they violate', async () => {
    await uploadJuiceShop(server.url);
    const file = await writeSnapshot(p, 'pods.json', snapshot({ withDevTools: true }));
    const refused = await cli(p, 'inventory', 'import', '--cluster', 'c1', file, '--server', server.url).then(
      () => 'imported',
      (err: { code: number; stderr: string }) => `${err.code} ${err.stderr}`,
    );
    assert.match(refused, /^2 .*cluster 'c1' has never been seen/, 'a cluster never seen needs --new-cluster');
    const imported = await cli(p, 'inventory', 'import', '--cluster', 'c1', '--new-cluster', file, '--server', server.url);
    assert.match(imported, /cluster c1 \(snapshot\): 4 added/);
    const operator = await cli(p, 'inventory', 'import', '--cluster', 'c1', await operatorReport(p), '--server', server.url, '-o', 'json');
    assert.equal((JSON.parse(operator) as { kind: string; scans: number }).scans, 1);
    await settled(server.url);

    const prod = await findings(server.url, 'namespace=prod-shop');
    assert.ok(prod.some((f) => f.rule === 'vulnerability_severity' && f.severity === 'CRITICAL' && f.enforcement === 'deny'));
    assert.ok(
      prod.every((f) => f.workload_kind === 'Deployment' && f.workload_name === 'web'),
      'pods are traced to their Deployment',
    );
    const excepted = await findings(server.url, 'state=excepted&id=CVE-2021-36159');
    assert.ok(excepted.length >= 1 && excepted.every((f) => f.exception !== null));
    const unresolved = await findings(server.url, 'rule=unresolved_digest');
    assert.deepEqual(
      unresolved.map((f) => [f.namespace, f.container]),
      [['dev-tools', 'proxy']],
    );
    assert.deepEqual(await findings(server.url, 'namespace=lbc&id=CVE-2024-0553'), [], 'not yet 30 days old');
    const practice = await cli(
      p,
      'findings',
      '--namespace',
      'prod*',
      '--severity-at-least',
      'HIGH',
      '--age',
      '30d',
      '--fixable',
      '--server',
      server.url,
      '-o',
      'json',
    );
    const page = JSON.parse(practice) as { total: number; findings: { namespace: string; severity: string; fixable: boolean }[] };
    assert.ok(page.total > 0);
    assert.ok(page.findings.every((f) => f.namespace.startsWith('prod') && ['HIGH', 'CRITICAL'].includes(f.severity) && f.fixable));
    const image = await getJson<{ scans: unknown[]; running: unknown[]; evaluations: { environment: string | null }[] }>(
      `${server.url}/v1/images/${JUICE_SHOP}`,
    );
    assert.equal(image.scans.length, 1);
    assert.equal(image.running.length, 2);
    assert.deepEqual(
      image.evaluations.map((e) => e.environment).sort(),
      ['dev', null],
      'prod-shop has no label: its environment is null, matched by namespace glob',
    );
    const cve = await getJson<{ images: { digest: string }[]; namespaces: { namespace: string }[]; fixed_versions: string[] }>(
      `${server.url}/v1/vulnerabilities/CVE-2022-37434`,
    );
    assert.deepEqual(
      cve.images.map((i) => i.digest),
      [JUICE_SHOP],
    );
    assert.deepEqual(cve.namespaces.map((n) => n.namespace).sort(), ['dev-tools', 'prod-shop']);
    assert.deepEqual(cve.fixed_versions, ['1.2.11-r4']);
    const table = await cli(p, 'inventory', 'vulnerability', 'CVE-2022-37434', '--server', server.url);
    assert.match(table, /^fixed_versions +1\.2\.11-r4$/m, 'the CLI shows the same view');
    assert.match(table, /deny +open +c1 +prod-shop +Deployment\/web +web /);
    const shown = JSON.parse(await cli(p, 'inventory', 'image', JUICE_SHOP, '--server', server.url, '-o', 'json')) as typeof image;
    assert.deepEqual(shown.running, image.running);
  });

  /** An admission review of a Deployment in lbc running `image`, answered by the server. */
  const admit = async (image: string) => {
    const res = await fetch(`${server.url}/v1/admission`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(review({ kind: 'Deployment', namespace: 'lbc', containers: [image] })),
    });
    return ((await res.json()) as { response: { allowed: boolean; status?: { message: string } } }).response;
  };

  it("admits with the namespace's environment from the inventory, and records what it admits", async () => {
    // lbc is production only through the label of the imported Namespace: nothing in the configuration says so.
    const denied = await admit(`docker.io/bkimminich/juice-shop@${JUICE_SHOP}`);
    assert.equal(denied.allowed, false);
    assert.match(denied.status?.message ?? '', /environment 'prod'/);
    assert.equal((await admit(`docker.io/library/ubuntu@${UBUNTU}`)).allowed, true);
    const { waitFor } = await import('../helpers/processes.js');
    const recorded = await waitFor(async () => {
      const { workloads } = await getJson<{ workloads: { kind: string; name: string; source: string; digest: string }[] }>(
        `${server.url}/v1/inventory/workloads?cluster=c1&namespace=lbc`,
      );
      return workloads.find((w) => w.source === 'admission');
    }, 10_000);
    assert.deepEqual([recorded.kind, recorded.name, recorded.digest], ['Deployment', 'shop', UBUNTU]);
  });

  it('publishes a revision that tightens a threshold: new findings, no new scan', async () => {
    const before_ = await findings(server.url, 'namespace=prod-shop&severity_at_least=LOW&rule=vulnerability_age');
    assert.equal(before_.filter((f) => f.severity === 'LOW').length, 0);
    await publish(p, 'LOW', [server.url]);
    await settled(server.url);
    const low = (await findings(server.url, 'namespace=prod-shop&rule=vulnerability_age')).filter((f) => f.severity === 'LOW');
    assert.ok(low.length > 0, 'LOW vulnerabilities older than 30 days are now denied');
    const revision = (await getJson<{ bundles?: { name: string; revision: string }[] }>(`${server.url}/v1/bundles`)).bundles?.find(
      (b) => b.name === 'image-scan',
    )?.revision;
    assert.ok(low.every((f) => f.revision === revision));
    assert.equal((await getJson<{ scans: unknown[] }>(`${server.url}/v1/images/${JUICE_SHOP}`)).scans.length, 1, 'no new scan');
  });

  it("moves the clock past a CVE-age threshold and an exception's expiry: findings appear", async () => {
    await writeFile(p.clock, T1);
    await waitForFinding(server.url, 'namespace=lbc&id=CVE-2024-0553');
    await settled(server.url);
    const aged = await findings(server.url, 'namespace=lbc&id=CVE-2024-0553');
    assert.deepEqual(
      aged.map((f) => [f.workload_kind, f.workload_name, f.rule, f.enforcement]).sort(),
      [
        ['Deployment', 'shop', 'vulnerability_age', 'deny'],
        ['Pod', 'ubuntu', 'vulnerability_age', 'deny'],
      ],
      "both containers that run the image: the snapshot's pod and the Deployment admission recorded",
    );
    const cve = await getJson<{ images: { digest: string }[] }>(`${server.url}/v1/vulnerabilities/CVE-2024-0553`);
    assert.deepEqual(
      cve.images.map((i) => i.digest),
      [UBUNTU],
    );
    const expired = await findings(server.url, 'namespace=prod-shop&id=CVE-2021-36159');
    assert.ok(expired.length >= 1 && expired.every((f) => f.state === 'open' && f.exception === null), 'the expired exception no longer applies');
    // Admission decides on the scan stored at T0 with its ages counted to T1, as the inventory does.
    const refused = await admit(`docker.io/library/ubuntu@${UBUNTU}`);
    assert.equal(refused.allowed, false);
    assert.match(refused.status?.message ?? '', /CVE-2024-0553 .*published \d+ days ago, more than the 30 days allowed/);
  });

  it('removes a workload from the snapshot: its findings are resolved', async () => {
    const file = await writeSnapshot(p, 'pods-2.json', snapshot({ withDevTools: false }));
    const out = await cli(p, 'inventory', 'import', '--cluster', 'c1', file, '--server', server.url);
    assert.match(out, /3 gone/, 'the dev-tools pod (two containers) and the Deployment admission recorded in lbc');
    await settled(server.url);
    assert.deepEqual(await findings(server.url, 'namespace=dev-tools'), []);
    const resolved = await findings(server.url, 'namespace=dev-tools&state=resolved');
    assert.ok(resolved.length > 0 && resolved.every((f) => f.resolved_at !== null));
  });

  it('told the webhook of every deny-level change once, signed, after a refused first delivery', async () => {
    await assertWebhookMatches(server.url, hook);
    const log = await getJson<{ deliveries: { status: number | null }[] }>(`${server.url}/v1/inventory/deliveries`);
    assert.equal(log.deliveries[0]?.status, 503, 'the first attempt was refused and recorded');
    assert.ok(log.deliveries.slice(1).every((d) => d.status === 200));
  });

  it('answers the Gatekeeper provider from current results, in the namespace it is asked about', async () => {
    type Verdict = { decision: string; environment: string | null; revision: string; evaluated_at: string };
    const ask = async (key: string): Promise<Verdict> => {
      const res = await fetch(`${server.url}/v1/gatekeeper/provider`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [key] } }),
      });
      const answer = (await res.json()) as { response: { items: { value: Verdict }[] } };
      return answer.response.items[0]?.value as Verdict;
    };
    const prod = await ask(`prod-shop|docker.io/bkimminich/juice-shop@${JUICE_SHOP}`);
    assert.equal(prod.decision, 'deny');
    assert.equal(prod.evaluated_at, new Date(T1).toISOString(), 'decided at the current time, not at upload');
    const fresh = await ask(`dev-new|docker.io/bkimminich/juice-shop@${JUICE_SHOP}`);
    assert.equal(fresh.environment, null);
    assert.equal(fresh.revision, prod.revision, 'a namespace with nothing running is decided now, under the current revision');
  });

  it('emits policy reports and Prometheus gauges for what runs', async () => {
    const yaml = await cli(p, 'reports', '--format', 'openreports', '--namespace', 'prod-shop', '--server', server.url);
    assert.match(yaml, /apiVersion: openreports.io\/v1alpha1\nkind: Report/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /portcullis_inventory_open_findings\{cluster="c1",namespace="prod-shop",severity="CRITICAL",enforcement="deny"\} \d+/);
    assert.match(metrics, /portcullis_inventory_last_pass_seconds \d/);
  });
});

async function waitForFinding(server: string, query: string): Promise<void> {
  const { waitFor } = await import('../helpers/processes.js');
  await waitFor(
    async () => ((await findings(server, query)).length > 0 ? true : undefined),
    60_000,
    () => `no finding for ${query}`,
  );
}

// The inventory's "must show" scenario, through real `portcullis serve`
// processes: import a pod snapshot and scans from the real fixtures; publish a
// new bundle revision that tightens a threshold; move the server's clock past
// a CVE-age threshold and an exception's expiry; remove a workload; and check
// the webhook received every change once. Run on SQLite with one server and on
// PostgreSQL with two sharing the work.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scratchProject } from '../helpers/project.js';
import { REAL_REPORTS } from '../helpers/fixtures.js';
import { CLI, start, waitFor, type Child } from '../helpers/processes.js';
import { list, namespace, pod } from '../inventory/kubernetes.js';

const run = promisify(execFile);

export const JUICE_SHOP = 'sha256:b1802758946aa40549b98ee6b8f93e9b92d0a6bf7aed139284893466be9c5065';
export const UBUNTU = 'sha256:f78909c2b360d866b3220655c0b079838258b8891a12ac25fc670f0cbb54229f';
export const T0 = '2024-02-01T00:00:00Z';
/** Past CVE-2024-0553's 30-day age limit (published 2024-01-16) and the exception's expiry (2024-02-10). */
export const T1 = '2024-02-20T00:00:00Z';
export const SECRET = 'e2e-webhook-secret';

/**
 * Test settings (synthetic): production namespaces deny CRITICALs and
 * MEDIUM-or-worse vulnerabilities older than 30 days; one CVE is excepted
 * until 2024-02-10. Revision 2 lowers the age gate to LOW.
 */
export function settings(ageSeverity: 'MEDIUM' | 'LOW'): string {
  return `default_environment: prod
environments:
  - name: prod
    match: { environments: [prod], namespaces: ["prod-*"] }
    vulnerability_severity:
      - { package_class: all, severity: CRITICAL, enforcement: deny }
    vulnerability_age:
      - { package_class: all, severity: ${ageSeverity}, max_age_days: 30, enforcement: deny }
  - name: dev
    match: { environments: [dev] }
    vulnerability_severity:
      - { package_class: all, severity: CRITICAL, enforcement: warn }
exceptions:
  - { id: CVE-2021-36159, package: apk-tools, reason: "end-to-end test: accepted until February 10", expires: "2024-02-10" }
`;
}

/** What the cluster runs (synthetic Pods, pinned to the digests of the real fixture reports). */
export function snapshot(options: { readonly withDevTools: boolean; readonly extraNamespaces?: number }): Record<string, unknown> {
  const juice = `docker.io/bkimminich/juice-shop@${JUICE_SHOP}`;
  const items: unknown[] = [
    namespace('prod-shop'),
    namespace('lbc', { 'portcullis.dev/environment': 'prod' }),
    namespace('dev-tools', { 'portcullis.dev/environment': 'dev' }),
    pod('prod-shop', 'web-7c9d5b6f4-x2k8q', [['web', 'bkimminich/juice-shop:v10.2.0', juice]], { replicaSet: 'web-7c9d5b6f4', hash: '7c9d5b6f4' }),
    pod('lbc', 'ubuntu', [['ubuntu', 'library/ubuntu:20.04', `docker.io/library/ubuntu@${UBUNTU}`]]),
  ];
  if (options.withDevTools) {
    items.push(
      pod('dev-tools', 'shop-preview', [
        ['web', 'bkimminich/juice-shop:v10.2.0', juice],
        ['proxy', 'nginx:1.25', 'sha256:6f8e1d2c0a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5'],
      ]),
    );
  }
  for (let i = 0; i < (options.extraNamespaces ?? 0); i++) {
    items.push(namespace(`prod-team-${i}`), pod(`prod-team-${i}`, 'shop', [['web', 'bkimminich/juice-shop:v10.2.0', juice]]));
  }
  return list(items);
}

export interface Project {
  readonly dir: string;
  readonly bundles: string;
  readonly clock: string;
}

/** A scratch copy of the policies and bundle definitions, built with the test settings into a served folder. */
export async function project(): Promise<Project> {
  const dir = await scratchProject();
  const bundles = join(dir, 'served');
  await mkdir(bundles);
  const clock = join(dir, 'clock');
  await writeFile(clock, T0);
  const p = { dir, bundles, clock };
  await publish(p, 'MEDIUM');
  return p;
}

/** Builds the bundles with the real opa and writes them into the served folder (atomically, as build does). */
/**
 * Builds the bundles with `ageSeverity` as the age threshold, and resolves once
 * each of `servers` serves the new image-scan revision: until a server has
 * noticed the file, waiting for it to settle would settle on the old one.
 */
export async function publish(p: Project, ageSeverity: 'MEDIUM' | 'LOW', servers: readonly string[] = []): Promise<void> {
  const before = await Promise.all(servers.map(servedEtag));
  await writeFile(join(p.dir, 'examples', 'policy', 'settings.yaml'), settings(ageSeverity));
  await run(process.execPath, [CLI, 'build', '--bundles', join(p.dir, 'bundles'), '--out', p.bundles], { cwd: p.dir });
  await Promise.all(
    servers.map((server, i) =>
      waitFor(
        async () => ((await servedEtag(server)) !== before[i] ? true : undefined),
        60_000,
        () => `waiting for ${server} to serve the new revision`,
      ),
    ),
  );
}

export interface Portcullis extends Child {
  readonly url: string;
}

export async function serve(p: Project, config: string, env: Record<string, string> = {}): Promise<Portcullis> {
  const child = start(process.execPath, [CLI, 'serve', '--config', config, '--listen', '127.0.0.1:0'], {
    cwd: p.dir,
    env: { PORTCULLIS_CLOCK_FILE: p.clock, WEBHOOK_SECRET: SECRET, PORTCULLIS_LOG_LEVEL: 'info', ...env },
  });
  const url = await waitFor(
    () => /"url":"([^"]+)","bundles"/.exec(child.output())?.[1],
    30_000,
    () => child.output(),
  );
  return { ...child, url };
}

/** The serve configuration: fast polling for the tests (unless `pollMs` says otherwise), the webhook pointed at the receiver. */
export function configYaml(p: Project, store: string, webhook: string, pollMs = 100): string {
  return `bundles: { dir: ${p.bundles}, rescan_interval_ms: 200 }
state: { dir: ${join(p.dir, 'state')} }
${store}
inventory:
  cluster: c1
  poll_interval_ms: ${pollMs}
  workers: 1
  webhook: { url: ${webhook}, secret_env: WEBHOOK_SECRET, retry_base_seconds: 1 }
`;
}

export interface Delivery {
  readonly id: string;
  readonly event: {
    readonly workload: { readonly cluster: string; readonly namespace: string; readonly kind: string; readonly name: string; readonly container: string };
    readonly opened: readonly { readonly fingerprint: string }[];
    readonly resolved: readonly { readonly fingerprint: string; readonly reason: string }[];
  };
}

/** A webhook receiver that checks each signature and keeps what it got; the first delivery is refused once, to force a retry. */
export async function receiver(): Promise<{ readonly url: string; readonly deliveries: Delivery[]; readonly badSignatures: () => number; close(): void }> {
  const deliveries: Delivery[] = [];
  let bad = 0;
  let refused = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      if (req.headers['x-portcullis-signature'] !== expected) bad += 1;
      if (!refused) {
        refused = true;
        res.statusCode = 503;
        res.end();
        return;
      }
      deliveries.push({ id: String(req.headers['x-portcullis-delivery']), event: JSON.parse(body) as Delivery['event'] });
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/portcullis`,
    deliveries,
    badSignatures: () => bad,
    close: () => server.close(),
  };
}

export interface Finding {
  readonly id: number;
  readonly fingerprint: string;
  readonly state: string;
  readonly enforcement: string;
  readonly rule: string;
  readonly severity: string;
  readonly vulnerability_id: string | null;
  readonly package: string | null;
  readonly namespace: string;
  readonly workload_kind: string;
  readonly workload_name: string;
  readonly container: string;
  readonly cluster: string;
  readonly revision: string;
  readonly resolved_at: string | null;
  readonly exception: unknown;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** Every finding matching `query`, page by page. */
export async function findings(server: string, query: string): Promise<Finding[]> {
  const all: Finding[] = [];
  let cursor = '';
  do {
    const page = await getJson<{ findings: Finding[]; next_cursor?: string }>(`${server}/v1/findings?${query}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    all.push(...page.findings);
    cursor = page.next_cursor ?? '';
  } while (cursor);
  return all;
}

/** The ETag of the image-scan revision `server` serves. */
async function servedEtag(server: string): Promise<string | undefined> {
  const bundles = await getJson<{ bundles?: { name: string; etag?: string }[] } | { name: string; etag?: string }[]>(`${server}/v1/bundles`);
  return (Array.isArray(bundles) ? bundles : (bundles.bundles ?? [])).find((b) => b.name === 'image-scan')?.etag;
}

interface Status {
  readonly pending_units: number;
  readonly revision_etag: string | null;
  readonly outbox_pending: number;
  readonly open_findings: number;
}

/** Waits until the served image-scan revision is the one every unit is decided under and nothing is pending. */
export async function settled(server: string): Promise<Status> {
  const etag = await servedEtag(server);
  return waitFor(
    async () => {
      const status = await getJson<Status>(`${server}/v1/inventory`);
      return status.pending_units === 0 && status.revision_etag === etag ? status : undefined;
    },
    60_000,
    () => `waiting for ${server} to settle on ${etag}`,
  );
}

export async function cli(p: Project, ...args: string[]): Promise<string> {
  return (await run(process.execPath, [CLI, ...args], { cwd: p.dir })).stdout;
}

/** Uploads the real juice-shop Trivy report for its digest, as CI would. */
export async function uploadJuiceShop(server: string): Promise<void> {
  const report = JSON.parse(await readFile(join(REAL_REPORTS, 'secureCodeBox__juice-shop-v10.2.0.json'), 'utf8')) as unknown;
  const res = await fetch(`${server}/v1/reports`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ image: `docker.io/bkimminich/juice-shop@${JUICE_SHOP}`, report }),
  });
  assert.equal(res.status, 201, await res.text());
}

export async function writeSnapshot(p: Project, name: string, doc: unknown): Promise<string> {
  const file = join(p.dir, name);
  await writeFile(file, JSON.stringify(doc));
  return file;
}

export async function operatorReport(p: Project): Promise<string> {
  const file = join(p.dir, 'vulnerabilityreports.json');
  await copyFile(join(REAL_REPORTS, 'django-DefectDojo__trivy_operator__vulnerabilityreport_extended.json'), file);
  return file;
}

const workloadKey = (f: {
  cluster: string;
  namespace: string;
  workload_kind?: string;
  kind?: string;
  workload_name?: string;
  name?: string;
  container: string;
}) => [f.cluster, f.namespace, f.workload_kind ?? f.kind, f.workload_name ?? f.name, f.container].join('/');

/**
 * The webhook must have heard of exactly the deny-level changes the store
 * shows, each once: a deny finding that is or was open was opened once, a
 * resolved one was resolved once (none was reopened in this scenario).
 */
export async function assertWebhookMatches(server: string, hook: Awaited<ReturnType<typeof receiver>>): Promise<void> {
  await waitFor(async () => ((await getJson<Status>(`${server}/v1/inventory`)).outbox_pending === 0 ? true : undefined), 60_000);
  const deny = (await findings(server, 'state=all&enforcement=deny')).filter((f) => f.state !== 'excepted');
  const opened = hook.deliveries.flatMap((d) => d.event.opened.map((f) => `${workloadKey(d.event.workload)}#${f.fingerprint}`));
  const resolved = hook.deliveries.flatMap((d) => d.event.resolved.map((f) => `${workloadKey(d.event.workload)}#${f.fingerprint}`));
  assert.equal(new Set(hook.deliveries.map((d) => d.id)).size, hook.deliveries.length, 'no delivery arrived twice');
  assert.equal(hook.badSignatures(), 0, 'every delivery is signed with the shared secret');
  const sorted = (keys: readonly string[]) => [...keys].sort();
  assert.deepEqual(sorted(opened), sorted(deny.map((f) => `${workloadKey(f)}#${f.fingerprint}`)), 'each deny-level finding that is or was open: opened once');
  assert.deepEqual(
    sorted(resolved),
    sorted(deny.filter((f) => f.state === 'resolved').map((f) => `${workloadKey(f)}#${f.fingerprint}`)),
    'each resolved deny-level finding: resolved once',
  );
}

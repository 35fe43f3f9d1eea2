// A deterministic fleet for the inventory and console benchmarks, generated
// from the real fixture reports (test/fixtures/real/reports): 5,000 running
// containers in 200 namespaces over 1,000 distinct image digests.
//
//   - 100 teams, each with a prod-<team> namespace (no labels: the policy's
//     namespace globs make it production) and a staging-<team> namespace
//     (labelled portcullis.dev/environment=staging, which the example settings
//     treat as a development environment);
//   - 980 application images, each a build promoted to both namespaces of its
//     team and run there as two workloads (web and worker) — four containers,
//     two evaluation units; 80 of them also run a nightly CronJob in prod;
//   - 20 platform images (a proxy sidecar) each injected into 50 workloads:
//     five web Deployments in each of ten namespaces.
//
// Each image's report is one of the real reports with a share of its
// vulnerability ids and installed versions changed deterministically (a
// seeded generator), so images differ while CVEs recur across them, as they
// do in a real fleet. Everything is a pure function of the options.
//
// Usage: const fleet = await generateFleet(); fleet.snapshot (kubectl List),
// fleet.reports ([{ digest, image, report }]), fleet.platform (digests used by
// 50 workloads), fleet.vulnerabilityIds (ids present in the fleet).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPORTS = fileURLToPath(new URL('../test/fixtures/real/reports/', import.meta.url));

export const FLEET = Object.freeze({ teams: 100, apps: 980, platform: 20, platformWorkloads: 50, cronApps: 80, seed: 20261201 });

/** Base reports and how many of the 1,000 images use each: the large ones carry the fleet's findings. */
const BASES = [
  { file: 'secureCodeBox__juice-shop-v10.2.0.json', kind: 'trivy', weight: 50 },
  { file: 'django-DefectDojo__anchore_grype__many_vulns3.json', kind: 'grype', weight: 20 },
  { file: 'django-DefectDojo__anchore_grype__issue_9618.json', kind: 'grype', weight: 15 },
  { file: 'django-DefectDojo__trivy__issue_9333.json', kind: 'trivy', weight: 10 },
  { file: 'trivy__alpine-310.json.golden', kind: 'trivy', weight: 5 },
];

function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const digestOf = (name) => `sha256:${createHash('sha256').update(name).digest('hex')}`;

/** A CVE id moved within its year, so some images share it and some do not. */
function varyId(id, shift) {
  const match = /^(CVE-\d{4}-)(\d+)$/.exec(id);
  return match ? `${match[1]}${Number(match[2]) + shift}` : id;
}

function varyVersion(version, n) {
  return typeof version === 'string' && version !== '' ? `${version}.fleet${n}` : version;
}

/** A copy of a base report with ids and versions varied; `extra` adds vulnerabilities (a new scan). */
export function varyReport(base, rand, extra = []) {
  const report = structuredClone(base.json);
  const shift = 1 + Math.floor(rand() * 40);
  if (base.kind === 'trivy') {
    for (const result of report.Results ?? []) {
      for (const v of result.Vulnerabilities ?? []) {
        if (rand() < 0.3) v.VulnerabilityID = varyId(v.VulnerabilityID, shift);
        if (rand() < 0.2) v.InstalledVersion = varyVersion(v.InstalledVersion, shift);
      }
    }
    const target = report.Results?.find((r) => Array.isArray(r.Vulnerabilities)) ?? report.Results?.[0];
    if (target && extra.length > 0) target.Vulnerabilities = [...(target.Vulnerabilities ?? []), ...extra.map(trivyVulnerability)];
  } else {
    for (const m of report.matches ?? []) {
      if (rand() < 0.3) m.vulnerability.id = varyId(m.vulnerability.id, shift);
      if (rand() < 0.2) m.artifact.version = varyVersion(m.artifact.version, shift);
    }
  }
  return report;
}

function trivyVulnerability(v) {
  return {
    VulnerabilityID: v.id,
    PkgName: v.package,
    InstalledVersion: v.installed,
    FixedVersion: v.fixed,
    Severity: v.severity,
    PublishedDate: v.published,
    Title: 'benchmark: a vulnerability published after the previous scan',
  };
}

function pod(namespace, name, owner, containers) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-${owner.hash}-x${containers.length}`,
      namespace,
      labels: { app: name, 'pod-template-hash': owner.hash },
      ownerReferences: owner.refs,
    },
    spec: { containers: containers.map(([c, image]) => ({ name: c, image })) },
    status: {
      phase: 'Running',
      containerStatuses: containers.map(([c, image, digest]) => ({ name: c, image, imageID: `${image.split(':')[0]}@${digest}`, ready: true })),
    },
  };
}

function deploymentOwner(name, rand) {
  const hash = Array.from({ length: 9 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(rand() * 27)]).join('');
  return { hash, refs: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${hash}`, uid: hash, controller: true }] };
}

/** The fleet: a kubectl List of Namespaces and Pods, one report per digest, and what the benchmarks ask about. */
export async function generateFleet(options = FLEET) {
  const rand = random(options.seed);
  const bases = BASES.map((b) => ({ ...b, json: JSON.parse(readFileSync(join(REPORTS, b.file), 'utf8')) }));
  const pick = (i) => {
    const total = bases.reduce((n, b) => n + b.weight, 0);
    let slot = (i * 7919) % total;
    for (const b of bases) {
      if (slot < b.weight) return b;
      slot -= b.weight;
    }
    return bases[0];
  };
  const reports = [];
  const addImage = (name, i, base = pick(i)) => {
    const digest = digestOf(`${name}@${i}`);
    const image = `registry.example.com/${name}`;
    reports.push({ digest, image: `${image}@${digest}`, repository: image, base: base.file, report: varyReport(base, rand) });
    return { digest, image: `${image}:build-${i}` };
  };
  const teams = Array.from({ length: options.teams }, (_, t) => `team-${String(t).padStart(3, '0')}`);
  const items = [];
  for (const team of teams) {
    items.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `prod-${team}`, labels: { team } } });
    items.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `staging-${team}`, labels: { team, 'portcullis.dev/environment': 'staging' } } });
  }
  // The platform sidecar: the smallest real report, as proxies are small images.
  const sidecarBase = bases.find((b) => b.file === 'trivy__alpine-310.json.golden');
  const platform = Array.from({ length: options.platform }, (_, k) => addImage(`platform/proxy-${k}`, 10_000 + k, sidecarBase));
  for (let a = 0; a < options.apps; a++) {
    const team = teams[a % options.teams];
    const app = addImage(`${team}/svc-${a}`, a);
    const slot = Math.floor(a / options.teams);
    for (const env of ['prod', 'staging']) {
      const namespace = `${env}-${team}`;
      const t = a % options.teams;
      // Each platform image goes to five web Deployments in the two namespaces of five teams.
      const sidecar = slot < options.platformWorkloads / 10 ? platform[Math.floor(t / 5) % options.platform] : undefined;
      const web = [['app', app.image, app.digest], ...(sidecar ? [['proxy', sidecar.image, sidecar.digest]] : [])];
      items.push(pod(namespace, `svc-${a}-web`, deploymentOwner(`svc-${a}-web`, rand), web));
      items.push(pod(namespace, `svc-${a}-worker`, deploymentOwner(`svc-${a}-worker`, rand), [['app', app.image, app.digest]]));
      if (env === 'prod' && a < options.cronApps) {
        const job = `svc-${a}-nightly-${29000000 + a}`;
        items.push(
          pod(namespace, job, { hash: 'job', refs: [{ apiVersion: 'batch/v1', kind: 'Job', name: job, uid: job, controller: true }] }, [
            ['app', app.image, app.digest],
          ]),
        );
      }
    }
  }
  const ids = new Set();
  for (const r of reports) {
    for (const result of r.report.Results ?? []) for (const v of result.Vulnerabilities ?? []) ids.add(v.VulnerabilityID);
    for (const m of r.report.matches ?? []) ids.add(m.vulnerability.id);
  }
  return {
    snapshot: { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items },
    reports,
    platform: platform.map((p) => p.digest),
    vulnerabilityIds: [...ids].sort(),
    bases,
    counts: {
      namespaces: options.teams * 2,
      digests: reports.length,
      containers: items.filter((i) => i.kind === 'Pod').reduce((n, p) => n + p.spec.containers.length, 0),
    },
  };
}

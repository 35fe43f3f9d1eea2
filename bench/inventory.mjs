#!/usr/bin/env node
// The runtime inventory at fleet scale, through a real `portcullis serve`, on
// SQLite and on PostgreSQL: 5,000 running containers in 200 namespaces over
// 1,000 digests (bench/fleet-data.mjs, from the real fixture reports), at
// least 300,000 open findings. Prints each figure beside its target:
//   1. full re-evaluation after a new policy revision (tightened threshold)  <= 20 s
//   2. one new scan of a digest used by 50 workloads, until queryable         <= 200 ms
//   3. the practice's query (prod*, HIGH+, 30 days, fixable), p95             <= 100 ms
//   4. CVE-first view (GET /v1/vulnerabilities/<id>), p95                     <= 50 ms
//   5. server peak RSS                                                         <= 500 MB
// and beside the naive peer: `opa eval` once per running container, one image
// at a time (sampled, then extrapolated to the whole fleet).
// Usage: npm run bench:inventory [-- --store sqlite|postgres|both] [--naive-samples N] [--queries N] [--cpu-prof DIR]
// --cpu-prof DIR writes a V8 CPU profile of the server (one per thread) into DIR.
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pinnedToolPath } from '../scripts/go-tool.mjs';
import { arg, json, percentile, until } from './serve-kit.mjs';
import { FLEET, generateFleet, varyReport } from './fleet-data.mjs';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/portcullis.js');
const stores = arg('store', 'both') === 'both' ? ['sqlite', 'postgres'] : [arg('store', 'sqlite')];
const naiveSamples = Number(arg('naive-samples', 20));
const queries = Number(arg('queries', 200));
// --keep leaves the work folder (stores, bundles, fleet) for a look afterwards.
const keep = process.argv.includes('--keep');
const cpuProf = arg('cpu-prof', '');
const NOW = '2026-11-01T00:00:00Z';

const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-inventory-'));
process.on('exit', () => (keep ? console.log(`kept ${work}`) : rmSync(work, { recursive: true, force: true })));
const clock = join(work, 'clock');
writeFileSync(clock, NOW);

// --- The policy: the shipped image-scan library and example settings; revision 2 tightens them ----------------
const project = join(work, 'project');
for (const dir of ['policies', 'bundles', 'examples', 'schemas']) cpSync(join(ROOT, dir), join(project, dir), { recursive: true });
const settingsFile = join(project, 'examples/policy/settings.yaml');
const settingsV1 = readFileSync(settingsFile, 'utf8');
const OS_HIGH = '{ package_class: os, severity: HIGH, ignore_unfixed: true, enforcement: deny }';
if (!settingsV1.includes(OS_HIGH)) throw new Error('examples/policy/settings.yaml changed: update the tightened threshold in bench/inventory.mjs');
const served = join(work, 'served');
mkdirSync(served);
/** Builds the bundles with the real opa straight into the served folder (build writes each file atomically). */
async function publish(settings) {
  writeFileSync(settingsFile, settings);
  await run(process.execPath, [CLI, 'build', '--bundles', join(project, 'bundles'), '--out', served], { cwd: project });
  return join(served, 'image-scan.tar.gz');
}
const v1Bytes = readFileSync(await publish(settingsV1));
const settingsV2 = settingsV1.replace(OS_HIGH, OS_HIGH.replace('HIGH', 'MEDIUM'));

// --- The fleet -------------------------------------------------------------------------------------------------
const fleet = await generateFleet(FLEET);
const snapshotGz = gzipSync(JSON.stringify(fleet.snapshot));
console.log(
  `fleet: ${fleet.counts.containers} running containers in ${fleet.counts.namespaces} namespaces over ${fleet.counts.digests} digests ` +
    `(reports from ${[...new Set(fleet.reports.map((r) => r.base))].length} real fixtures); ${availableParallelism()} cores, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);

// --- Helpers ---------------------------------------------------------------------------------------------------
const ms = (n) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
// The status counts every open finding, about 45 ms at this scale on the server's main thread: asked 50 times a
// second it would take most of that thread from the pass it measures (5 times a second still took a fifth), so it
// is asked twice a second, as a client waiting for a pass would.
async function settled(url, etag) {
  return until(
    async () => {
      const s = await json(`${url}/v1/inventory`);
      return s.pending_units === 0 && s.revision_etag === etag ? s : undefined;
    },
    600_000,
    'the inventory to settle',
    500,
  );
}
const servedEtag = async (url) => (await json(`${url}/v1/bundles`)).bundles.find((b) => b.name === 'image-scan').etag;
function currentRss(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}
function peakRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function startServer(store, env) {
  const state = join(work, `state-${store}`);
  const config = join(work, `portcullis-${store}.yaml`);
  const storeYaml = store === 'sqlite' ? 'store: { driver: sqlite, path: bench.db }' : 'store: { driver: postgres, url_env: BENCH_PG_URL }';
  writeFileSync(
    config,
    `bundles: { dir: ${served}, rescan_interval_ms: 200 }\nstate: { dir: ${state} }\n${storeYaml}\ninventory:\n  cluster: bench\n  poll_interval_ms: 200\n`,
  );
  const profile = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  const child = spawn(process.execPath, [...profile, CLI, 'serve', '--config', config, '--listen', '127.0.0.1:0'], {
    env: { ...process.env, ...env, PORTCULLIS_CLOCK_FILE: clock, PORTCULLIS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = await until(() => /"url":"([^"]+)","bundles"/.exec(output)?.[1], 60_000, `serve to listen\n${output}`);
  return { child, url, output: () => output };
}

async function uploadAll(url) {
  const queue = [...fleet.reports];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        await json(`${url}/v1/reports`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ image: r.image, report: r.report }),
        });
      }
    }),
  );
}

// --- One store -------------------------------------------------------------------------------------------------
async function benchStore(store) {
  let postgres;
  const env = {};
  if (store === 'postgres') {
    const { startPostgres, createDatabase } = await import('../test/store/postgres-server.ts');
    postgres = await startPostgres();
    env.BENCH_PG_URL = await createDatabase(postgres, 'bench');
  }
  // Each store starts from revision 1.
  writeFileSync(join(served, '.image-scan.tar.gz.tmp'), v1Bytes);
  renameSync(join(served, '.image-scan.tar.gz.tmp'), join(served, 'image-scan.tar.gz'));
  const server = await startServer(store, env);
  const figures = {};
  try {
    const passLines = () =>
      server
        .output()
        .split('\n')
        .filter((l) => l.includes('inventory re-evaluated'));
    let t = performance.now();
    await uploadAll(server.url);
    const uploadS = (performance.now() - t) / 1000;
    t = performance.now();
    await json(`${server.url}/v1/inventory?cluster=bench&new_cluster=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: snapshotGz,
    });
    const initial = await settled(server.url, await servedEtag(server.url));
    const initialS = (performance.now() - t) / 1000;
    // The first pass ends (on PostgreSQL, with the vacuum that follows it) before revision 2 is published, so the
    // pass measured below does not share the database with it.
    await until(async () => (passLines().length > 0 ? true : undefined), 300_000, "the server's first pass to end");
    console.log(
      `[${store}] ${fleet.reports.length} scans uploaded in ${uploadS.toFixed(1)} s; snapshot imported and ${initial.units} units decided in ${initialS.toFixed(1)} s; ${initial.open_findings} open findings; server RSS ${currentRss(server.child.pid).toFixed(0)} MB`,
    );
    figures.openFindings = initial.open_findings;

    // 1. A new revision tightens a threshold: everything is decided again, only changes are written.
    const passesBefore = passLines().length;
    await publish(settingsV2);
    const etagV2 = await until(
      async () => {
        const e = await servedEtag(server.url);
        return e !== initial.revision_etag ? e : undefined;
      },
      60_000,
      'revision 2 to be served',
    );
    t = performance.now();
    const after = await settled(server.url, etagV2);
    figures.reevaluation = (performance.now() - t) / 1000;
    // The pass timing the server itself measured, from the first claim to the last write and, after a large pass on
    // PostgreSQL, the vacuum that follows it: logged once that is done, after the results are queryable.
    await until(async () => (passLines().length > passesBefore ? true : undefined), 300_000, "the server's pass to end");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    figures.serverPass = Number(/^portcullis_inventory_last_pass_seconds ([\d.e+-]+)/m.exec(metrics)?.[1] ?? NaN);
    const pass = passLines().pop();
    if (pass) console.log(`[${store}] the server's last pass: ${pass}`);
    console.log(
      `[${store}] revision 2: ${after.open_findings - initial.open_findings} more open findings (${after.open_findings} in all); server RSS ${currentRss(server.child.pid).toFixed(0)} MB, peak so far ${peakRss(server.child.pid).toFixed(0)} MB`,
    );

    // 2. A new scan of a digest 50 workloads run, until its new finding is queryable everywhere it runs.
    const sidecarBase = fleet.bases.find((b) => b.file === 'trivy__alpine-310.json.golden');
    const scanTimes = [];
    for (const [k, digest] of fleet.platform.slice(0, 5).entries()) {
      const id = `CVE-2099-${store === 'sqlite' ? 1000 + k : 2000 + k}`;
      const report = varyReport(sidecarBase, () => 0.5, [
        { id, package: 'musl', installed: '1.1.22-r3', fixed: '1.1.22-r4', severity: 'CRITICAL', published: '2026-10-01T00:00:00Z' },
      ]);
      const image = fleet.reports.find((r) => r.digest === digest).image;
      t = performance.now();
      await json(`${server.url}/v1/reports`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ image, report }) });
      await until(
        async () => ((await json(`${server.url}/v1/findings?digest=${digest}&id=${id}&limit=1`)).total === 50 ? true : undefined),
        60_000,
        `the new finding of ${digest}`,
      );
      scanTimes.push(performance.now() - t);
    }
    figures.newScan = percentile(scanTimes, 50);
    figures.newScanMax = Math.max(...scanTimes);

    // 3. The practice's query, first page, as the CLI sends it.
    const practice = `${server.url}/v1/findings?namespace=prod*&severity_at_least=HIGH&age=30d&fixable=true&state=open&sort=severity&order=desc&limit=100`;
    const practiceTotal = (await json(practice)).total;
    const practiceTimes = [];
    for (let i = 0; i < queries; i++) {
      t = performance.now();
      await json(practice);
      practiceTimes.push(performance.now() - t);
    }
    figures.practiceP95 = percentile(practiceTimes, 95);
    figures.practiceTotal = practiceTotal;

    // 4. CVE-first, for ids that have findings (sampled from the grouping by CVE).
    const groups = (await json(`${server.url}/v1/findings?group_by=cve&limit=1000`)).groups.map((g) => g.key.vulnerability_id).filter(Boolean);
    const cveTimes = [];
    for (let i = 0; i < queries; i++) {
      const id = groups[(i * 7) % groups.length];
      t = performance.now();
      await json(`${server.url}/v1/vulnerabilities/${encodeURIComponent(id)}`);
      cveTimes.push(performance.now() - t);
    }
    figures.cveP95 = percentile(cveTimes, 95);
    figures.rss = peakRss(server.child.pid);
    if (keep) writeFileSync(join(work, `serve-${store}.log`), server.output());
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    await postgres?.stop();
  }
  return figures;
}

// --- The naive peer: opa eval, one image at a time ----------------------------------------------------------------
async function naivePeer() {
  const opa = pinnedToolPath('opa');
  const { normalize } = await import('../dist/src/inputs/index.js');
  const { namespaceMetadata, atTime } = await import('../dist/src/inventory/index.js');
  const bundle = await publish(settingsV2);
  const times = [];
  for (let i = 0; i < naiveSamples; i++) {
    const r = fleet.reports[(i * 37) % fleet.reports.length];
    const input = normalize({ reports: [{ path: 'report.json', bytes: Buffer.from(JSON.stringify(r.report)) }], now: NOW });
    const metadata = namespaceMetadata('bench', 'prod-team-000', {}, { environmentLabel: 'portcullis.dev/environment', namespaceLabels: {}, clusters: {} });
    const file = join(work, 'naive-input.json');
    writeFileSync(file, JSON.stringify(atTime(input, NOW, metadata)));
    const t = performance.now();
    await run(opa, ['eval', '--bundle', bundle, '--input', file, '--format', 'json', 'data.portcullis.scan.decision'], { maxBuffer: 64 * 1024 * 1024 });
    times.push(performance.now() - t);
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { mean, extrapolated: (mean * fleet.counts.containers) / 1000 };
}

const results = {};
for (const store of stores) results[store] = await benchStore(store);
const naive = await naivePeer();

const row = (name, value, target, ok) => console.log(`${name.padEnd(58)} ${value.padStart(12)}   target ${target.padEnd(9)} ${ok ? 'ok' : 'MISSED'}`);
console.log(
  `\nload after the run: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores`,
);
for (const [store, f] of Object.entries(results)) {
  console.log(`\n${store} (${f.openFindings} open findings; the practice's query matches ${f.practiceTotal}):`);
  row('open findings', String(f.openFindings), '>= 300000', f.openFindings >= 300_000);
  row('full re-evaluation after a new revision (wall, client)', `${f.reevaluation.toFixed(1)} s`, '<= 20 s', f.reevaluation <= 20);
  row("  the server's pass, with its VACUUM (ANALYZE) on PostgreSQL", `${f.serverPass.toFixed(1)} s`, '', true);
  row('new scan of a digest run by 50 workloads, queryable (median)', ms(f.newScan), '<= 200 ms', f.newScan <= 200);
  row('  slowest of 5', ms(f.newScanMax), '', true);
  row("practice's query, first page, p95", ms(f.practiceP95), '<= 100 ms', f.practiceP95 <= 100);
  row('CVE-first view, p95', ms(f.cveP95), '<= 50 ms', f.cveP95 <= 50);
  row('server peak RSS', `${f.rss.toFixed(0)} MB`, '<= 500 MB', f.rss <= 500);
  console.log(
    `  naive peer, opa eval per running container: ${naive.mean.toFixed(0)} ms each (${naiveSamples} sampled), ${naive.extrapolated.toFixed(0)} s for the ${fleet.counts.containers} containers (extrapolated): ${(naive.extrapolated / f.reevaluation).toFixed(0)}x the re-evaluation`,
  );
}

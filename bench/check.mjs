#!/usr/bin/env node
// Measures the CI gate on one scan report, in one run, and prints each figure
// beside its floor and target:
//  1. in-process medians, the steps timed in turn: normalizing the raw report
//     against JSON.parse of its bytes (target <= 2x), evaluating against
//     opa-wasm with no rules (the same input in, the same decision out), and
//     raw report -> decision against JSON.parse + that floor (target <= 1.5x);
//  2. the whole `portcullis check` process against `opa eval` on the same
//     bundle and the same (normalized) input (target ratio <= 1.0);
//  3. with --memory-mb N (default 200; 0 skips it): the peak RSS of `portcullis
//     check` on a synthetic report of N MB (target < 4x the report's size, or a
//     refusal naming the documented limit before the report is read whole);
//  4. decisions per second over HTTP under the same concurrent load:
//     `portcullis serve` (POST /v1/data/... with the normalized input, POST
//     /v1/check with the raw report) against a real `opa run --server` with the
//     same bundle and the normalized input (target for /v1/check: >= 4x opa and
//     >= 150/s), the servers loaded in turn for --rounds rounds (medians).
// Usage: npm run build && npm run bench:check [-- --bundle FILE] [--report FILE]
//        [--runs N] [--connections N] [--seconds N] [--rounds N] [--memory-mb N] [--cpu-prof DIR]
// --cpu-prof DIR writes the CPU profiles of `portcullis serve` (its evaluation
// workers' included) under the HTTP load of section 4 to DIR.
// The bundle defaults to dist/bundles/image-scan.tar.gz (portcullis build),
// else bundles/image-scan.yaml built here with opa (else the test fixture policy).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { pinnedToolPath } from '../scripts/go-tool.mjs';
import { loadBundle } from '../dist/src/bundle/index.js';
import { evaluateDecision, loadCheckPolicy, runCheck } from '../dist/src/check/index.js';
import { WasmPolicy } from '../dist/src/evaluate/index.js';
import { normalize, normalizeFiles } from '../dist/src/inputs/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/portcullis.js');
const NOW = '2024-11-01T00:00:00Z';
const ENTRYPOINT = 'portcullis/scan/decision';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const report = arg('report', join(ROOT, 'test/fixtures/real/reports/secureCodeBox__juice-shop-v10.2.0.json'));
const runs = Number(arg('runs', 15));
const connections = Number(arg('connections', 16));
const seconds = Number(arg('seconds', 5));
const rounds = Number(arg('rounds', 3));
const memoryMb = Number(arg('memory-mb', 200));
const profile = arg('cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', arg('cpu-prof')] : [];
const opa = pinnedToolPath('opa');
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-check-'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const fmt = (n, digits = 2) => n.toFixed(digits);

/** The built image-scan bundle; else bundles/image-scan.yaml built now; else the test fixture policy. */
function defaultBundle() {
  const built = join(ROOT, 'dist/bundles/image-scan.tar.gz');
  if (existsSync(built)) return { path: built, label: 'dist/bundles/image-scan.tar.gz' };
  const library = existsSync(join(ROOT, 'bundles/image-scan.yaml'));
  const definitions = library ? join(ROOT, 'bundles') : join(ROOT, 'test/fixtures/check/bundles');
  execFileSync(process.execPath, [CLI, 'build', '--bundles', definitions, '--out', join(work, 'built')], {
    stdio: 'ignore',
    env: { ...process.env, PORTCULLIS_STATE_DIR: join(work, 'state') },
  });
  const label = library ? 'bundles/image-scan.yaml, built with opa for this run' : 'test fixture policy (test/fixtures/check)';
  return { path: join(work, 'built/image-scan.tar.gz'), label };
}

const bundle = arg('bundle') ? { path: arg('bundle'), label: arg('bundle') } : defaultBundle();
const loaded = loadBundle(new Uint8Array(readFileSync(bundle.path)));
const input = await normalizeFiles({ reports: [{ path: report }], now: NOW });
const inputFile = join(work, 'input.json');
writeFileSync(inputFile, JSON.stringify(input));

const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`machine: ${cpus().length} CPUs, load average ${loadAverage()} at the start`);
console.log(`bundle: ${bundle.label} (revision ${loaded.manifest.revision})`);
console.log(`report: ${report} (${input.vulnerabilities.length} vulnerabilities; normalized input ${(JSON.stringify(input).length / 1024).toFixed(0)} KiB)`);

// 1. In-process, medians over repeated runs after warm-up: each step beside its floor.
const policy = await loadCheckPolicy(loaded);
const decision = evaluateDecision(policy, input);
const reportBytes = readFileSync(report);
// The floor for any Rego policy under opa-wasm here: the same normalized input in and the same decision
// out, through a module whose rule only returns that decision from its data.
const floorDir = join(work, 'floor');
mkdirSync(floorDir);
writeFileSync(join(floorDir, 'floor.rego'), 'package floor\n\ndecision := data.floor.fixed if input\n');
execFileSync(opa, ['build', '-t', 'wasm', '-e', 'floor/decision', '-o', join(floorDir, 'floor.tar.gz'), join(floorDir, 'floor.rego')]);
const floorBundle = loadBundle(new Uint8Array(readFileSync(join(floorDir, 'floor.tar.gz'))));
const floorPolicy = await WasmPolicy.fromBundle({ ...floorBundle, data: { floor: { fixed: decision } } });
/**
 * Medians of steps timed in turn, one run of each per round after warm-up
 * rounds: a machine whose speed drifts during the bench (a shared host) then
 * slows each step and its floor alike, instead of whichever was timed in the
 * slow seconds.
 */
const timedInTurn = (rounds, steps, warm = Math.ceil(rounds / 10)) => {
  const samples = Object.fromEntries(Object.keys(steps).map((name) => [name, []]));
  for (let round = 0; round < warm + rounds; round++) {
    for (const [name, step] of Object.entries(steps)) {
      const start = process.hrtime.bigint();
      step();
      if (round >= warm) samples[name].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, { median: median(xs), p95: quantile(xs, 0.95) }]));
};
const reportText = reportBytes.toString('utf8');
const { parseFloor, parseOnly, normalizeMs, evalMs, rawMs, floorMs } = timedInTurn(runs * 30, {
  // The floor of reading the report: its bytes decoded and parsed by JSON.parse, nothing else.
  parseFloor: () => JSON.parse(reportBytes.toString('utf8')),
  parseOnly: () => JSON.parse(reportText),
  normalizeMs: () => normalize({ reports: [{ path: report, bytes: reportBytes }], now: NOW }),
  evalMs: () => evaluateDecision(policy, input),
  rawMs: () => runCheck(policy, { reports: [{ path: report, bytes: reportBytes }], now: NOW }),
  floorMs: () => floorPolicy.evaluate('floor/decision', input),
});
const rawFloor = parseFloor.median + floorMs.median;
const verdict = (ok) => (ok ? 'met' : 'NOT MET');
console.log(
  `\n1. in-process, medians (${decision.decision}, ${decision.violations.length} violations, ${decision.warnings.length} warnings; decision ${(JSON.stringify(decision).length / 1024).toFixed(0)} KiB)`,
);
console.log(
  `   floor: JSON.parse of the report's bytes (UTF-8 decode + parse): ${fmt(parseFloor.median, 3)} ms (parse of the decoded text alone ${fmt(parseOnly.median, 3)} ms)`,
);
console.log(`   floor: opa-wasm, the normalized input in and the same decision out, no rules: ${fmt(floorMs.median, 3)} ms`);
console.log(
  `   normalize the report: ${fmt(normalizeMs.median, 3)} ms = ${fmt(normalizeMs.median / parseFloor.median)} x JSON.parse (target <= 2.00 x: ${verdict(normalizeMs.median <= 2 * parseFloor.median)})`,
);
console.log(
  `   evaluate the normalized input: ${fmt(evalMs.median, 3)} ms (p95 ${fmt(evalMs.p95, 3)} ms) = ${fmt(evalMs.median / floorMs.median)} x the opa-wasm floor`,
);
console.log(
  `   raw report -> decision: ${fmt(rawMs.median, 3)} ms = ${fmt(rawMs.median / rawFloor)} x (JSON.parse + opa-wasm floor = ${fmt(rawFloor, 3)} ms) (target <= 1.50 x: ${verdict(rawMs.median <= 1.5 * rawFloor)})`,
);

// 2. The whole process, against opa eval on the same bundle and the normalized input.
const time = (command, args) => {
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PORTCULLIS_STATE_DIR: join(work, 'state') } });
  if (run.status !== 0 && run.status !== 1) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
};
const checkArgs = [CLI, 'check', '--bundle', bundle.path, '--report', report, '--now', NOW, '--output', 'json'];
const opaArgs = ['eval', '--format', 'json', '--bundle', bundle.path, '--input', inputFile, `data.${ENTRYPOINT.replaceAll('/', '.')}`];
const samples = { portcullis: [], opa: [] };
time(process.execPath, checkArgs);
time(opa, opaArgs);
for (let i = 0; i < runs; i++) {
  samples.portcullis.push(time(process.execPath, checkArgs));
  samples.opa.push(time(opa, opaArgs));
}
const processRatio = median(samples.portcullis) / median(samples.opa);
console.log(`\n2. one process per decision (median of ${runs})`);
console.log(`   portcullis check (raw report -> json): ${fmt(median(samples.portcullis), 0)} ms`);
console.log(`   opa eval (normalized input):           ${fmt(median(samples.opa), 0)} ms`);
console.log(`   ratio ${fmt(processRatio)} (target <= 1.0)`);

// 3. Memory: `portcullis check` on a synthetic report of memoryMb MB (the real report's vulnerabilities
// repeated under distinct package names), its peak RSS read by the process itself at exit.
function syntheticReport(file, megabytes) {
  const real = JSON.parse(reportBytes.toString('utf8'));
  const vulns = real.Results.flatMap((r) => r.Vulnerabilities ?? []);
  const head = JSON.stringify({ ...real, Results: [{ Target: 'synthetic/package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: [] }] });
  const [before, after] = head.split('"Vulnerabilities":[]');
  const fd = openSync(file, 'w');
  writeSync(fd, `${before}"Vulnerabilities":[`);
  let written = 0;
  for (let i = 0; written < megabytes * 1e6; i++) {
    const v = vulns[i % vulns.length];
    const entry = `${i === 0 ? '' : ','}${JSON.stringify({ ...v, PkgName: `${v.PkgName}-synthetic-${i}` })}`;
    writeSync(fd, entry);
    written += entry.length;
  }
  writeSync(fd, `]${after}`);
  closeSync(fd);
  return statSync(file).size;
}

if (memoryMb > 0) {
  const big = join(work, 'big-report.json');
  const size = syntheticReport(big, memoryMb);
  const hook = join(work, 'maxrss.mjs');
  writeFileSync(hook, "process.on('exit', () => process.stderr.write(`\\nmaxrss-kb ${process.resourceUsage().maxRSS}\\n`));\n");
  const start = process.hrtime.bigint();
  const run = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(hook).href, CLI, 'check', '--bundle', bundle.path, '--report', big, '--now', NOW, '--output', 'json'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 26,
      env: { ...process.env, PORTCULLIS_STATE_DIR: join(work, 'state') },
    },
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const stderr = run.stderr.toString();
  const rss = Number(/maxrss-kb (\d+)/.exec(stderr)?.[1] ?? NaN) * 1024;
  const said =
    stderr
      .replace(/\n?maxrss-kb \d+\n/, '')
      .trim()
      .split('\n')[0] ?? '';
  console.log(`\n3. memory: portcullis check on a synthetic ${fmt(size / 1e6, 0)} MB report (the real report's vulnerabilities repeated)`);
  console.log(`   exit ${run.status} after ${fmt(ms / 1000, 1)} s${said ? `: ${said.slice(0, 200)}` : ''}`);
  console.log(
    `   peak RSS ${fmt(rss / 1e6, 0)} MB = ${fmt(rss / size)} x the report (target < 4.00 x, or a refusal with the documented limit: ${verdict(rss < 4 * size || /INPUT_TOO_LARGE|exceeds the limit/.test(said))})`,
  );
  rmSync(big, { force: true });
}

// 4. Decisions per second over HTTP, the same load against both servers.
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

async function waitForHealth(url, child) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}: not healthy after 20 s`);
}

async function startServer(command, args, url) {
  const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'warn' } });
  await waitForHealth(url, child);
  return child;
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function load(url, body) {
  // One request per connection first, so that neither server's start-up (loading the bundle, starting workers) is measured.
  await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, amount: connections });
  const result = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return result.requests.average;
}

const dataBody = JSON.stringify({ input });
const checkBody = JSON.stringify({ reports: [JSON.parse(reportBytes.toString('utf8'))], now: NOW });
const bundlesDir = join(work, 'served');
mkdirSync(bundlesDir);
copyFileSync(bundle.path, join(bundlesDir, 'image-scan.tar.gz'));
const [pPort, oPort] = [await freePort(), await freePort()];
const pUrl = `http://127.0.0.1:${pPort}`;
const oUrl = `http://127.0.0.1:${oPort}`;
const portcullis = await startServer(process.execPath, [...profile, CLI, 'serve', '--listen', `127.0.0.1:${pPort}`, '--dir', bundlesDir], pUrl);
const opaServer = await startServer(opa, ['run', '--server', '--addr', `127.0.0.1:${oPort}`, '--log-level', 'error', '--bundle', bundle.path], oUrl);
try {
  // Same decision from both before measuring anything.
  const post = (url, body) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((r) => r.json());
  const [pResult, oResult] = await Promise.all([post(`${pUrl}/v1/data/${ENTRYPOINT}`, dataBody), post(`${oUrl}/v1/data/${ENTRYPOINT}`, dataBody)]);
  const same = pResult.result?.decision === oResult.result?.decision && pResult.result?.violations.length === oResult.result?.violations.length;
  // The servers are loaded in turn, round after round, and each figure is the median of its rounds: a host whose speed
  // drifts during the bench then slows opa and portcullis alike, instead of whichever was measured in the slow seconds.
  const rates = { oData: [], pData: [], pCheck: [] };
  for (let round = 0; round < rounds; round++) {
    rates.oData.push(await load(`${oUrl}/v1/data/${ENTRYPOINT}`, dataBody));
    rates.pData.push(await load(`${pUrl}/v1/data/${ENTRYPOINT}`, dataBody));
    rates.pCheck.push(await load(`${pUrl}/v1/check`, checkBody));
  }
  const [oData, pData, pCheck] = [median(rates.oData), median(rates.pData), median(rates.pCheck)];
  console.log(
    `\n4. decisions per second over HTTP (${connections} connections, ${seconds} s each, medians of ${rounds} rounds taken in turn; same decision from both: ${same ? 'yes' : 'NO'})`,
  );
  console.log(`   rounds: opa ${rates.oData.map((r) => fmt(r, 0)).join(', ')}/s; POST /v1/check ${rates.pCheck.map((r) => fmt(r, 0)).join(', ')}/s`);
  console.log(`   opa run --server   POST /v1/data/${ENTRYPOINT}: ${fmt(oData, 0)}/s`);
  console.log(`   portcullis serve   POST /v1/data/${ENTRYPOINT}: ${fmt(pData, 0)}/s  ratio ${fmt(pData / oData)} (target >= 1.0)`);
  console.log(
    `   portcullis serve   POST /v1/check (raw report):  ${fmt(pCheck, 0)}/s  ratio ${fmt(pCheck / oData)} (target >= 4.00 x opa and >= 150/s: ${verdict(pCheck >= 4 * oData && pCheck >= 150)})`,
  );
  // What the in-process figures above allow on this machine's cores, with nothing for HTTP or the load generator: under
  // load from other processes, both this ceiling and the measured rate fall, so their ratio is what compares across runs.
  const ceiling = (cpus().length * 1000) / rawMs.median;
  console.log(
    `   ceiling from section 1: ${cpus().length} cores / raw report -> decision (${fmt(rawMs.median, 3)} ms) = ${fmt(ceiling, 0)}/s; POST /v1/check reaches ${fmt(pCheck / ceiling)} of it`,
  );
  console.log(`\nload average at the end: ${loadAverage()}`);
} finally {
  await stop(portcullis);
  await stop(opaServer);
  rmSync(work, { recursive: true, force: true });
}

#!/usr/bin/env node
// Measures the CI gate on one scan report, in one run, and prints the ratios:
//  1. in-process: median decision time after the bundle is loaded (target <= 2 ms),
//     beside the floor of opa-wasm for the same input and decision (no rules run);
//  2. the whole `portcullis check` process against `opa eval` on the same
//     bundle and the same (normalized) input (target ratio <= 1.0);
//  3. decisions per second over HTTP under the same concurrent load:
//     `portcullis serve` (POST /v1/data/... and POST /v1/check) against a real
//     `opa run --server` with the same bundle (target ratio >= 1.0).
// Usage: npm run build && npm run bench:check [-- --bundle FILE] [--report FILE]
//        [--runs N] [--connections N] [--seconds N]
// The bundle defaults to dist/bundles/image-scan.tar.gz (portcullis build),
// else bundles/image-scan.yaml built here with opa (else the test fixture policy).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { pinnedToolPath } from '../scripts/go-tool.mjs';
import { loadBundle } from '../dist/src/bundle/index.js';
import { evaluateDecision, loadCheckPolicy } from '../dist/src/check/index.js';
import { normalizeFiles } from '../dist/src/inputs/index.js';

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

console.log(`bundle: ${bundle.label} (revision ${loaded.manifest.revision})`);
console.log(`report: ${report} (${input.vulnerabilities.length} vulnerabilities; normalized input ${(JSON.stringify(input).length / 1024).toFixed(0)} KiB)`);

// 1. In-process decision time, after load (normalization excluded; it is measured separately).
const policy = await loadCheckPolicy(loaded);
const decide = () => evaluateDecision(policy, input);
const decision = decide();
for (let i = 0; i < 50; i++) decide();
const evalMs = [];
for (let i = 0; i < 500; i++) {
  const start = process.hrtime.bigint();
  decide();
  evalMs.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const normalizeMs = [];
const reportBytes = readFileSync(report);
const { normalize } = await import('../dist/src/inputs/index.js');
for (let i = 0; i < 30; i++) {
  const start = process.hrtime.bigint();
  normalize({ reports: [{ path: report, bytes: reportBytes }], now: NOW });
  normalizeMs.push(Number(process.hrtime.bigint() - start) / 1e6);
}
// The floor for any Rego policy under opa-wasm here: the same input in and the same decision out,
// through a module whose rule only returns that decision from its data.
const floorDir = join(work, 'floor');
mkdirSync(floorDir);
writeFileSync(join(floorDir, 'floor.rego'), 'package floor\n\ndecision := data.floor.fixed if input\n');
execFileSync(opa, ['build', '-t', 'wasm', '-e', 'floor/decision', '-o', join(floorDir, 'floor.tar.gz'), join(floorDir, 'floor.rego')]);
const floorBundle = loadBundle(new Uint8Array(readFileSync(join(floorDir, 'floor.tar.gz'))));
const { WasmPolicy } = await import('../dist/src/evaluate/index.js');
const floorPolicy = await WasmPolicy.fromBundle({ ...floorBundle, data: { floor: { fixed: decision } } });
const floorMs = [];
for (let i = 0; i < 550; i++) {
  const start = process.hrtime.bigint();
  floorPolicy.evaluate('floor/decision', input);
  if (i >= 50) floorMs.push(Number(process.hrtime.bigint() - start) / 1e6);
}
console.log(`\n1. in-process decision (${decision.decision}, ${decision.violations.length} violations, ${decision.warnings.length} warnings)`);
console.log(`   evaluate + validate: median ${fmt(median(evalMs), 3)} ms, p95 ${fmt(quantile(evalMs, 0.95), 3)} ms (target <= 2 ms)`);
console.log(`   floor (the same input in, the same decision out, no rules): median ${fmt(median(floorMs), 3)} ms`);
console.log(`   normalize the report (warm): median ${fmt(median(normalizeMs))} ms`);

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

// 3. Decisions per second over HTTP, the same load against both servers.
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
const portcullis = await startServer(process.execPath, [CLI, 'serve', '--listen', `127.0.0.1:${pPort}`, '--dir', bundlesDir], pUrl);
const opaServer = await startServer(opa, ['run', '--server', '--addr', `127.0.0.1:${oPort}`, '--log-level', 'error', '--bundle', bundle.path], oUrl);
try {
  // Same decision from both before measuring anything.
  const post = (url, body) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((r) => r.json());
  const [pResult, oResult] = await Promise.all([post(`${pUrl}/v1/data/${ENTRYPOINT}`, dataBody), post(`${oUrl}/v1/data/${ENTRYPOINT}`, dataBody)]);
  const same = pResult.result?.decision === oResult.result?.decision && pResult.result?.violations.length === oResult.result?.violations.length;
  const pData = await load(`${pUrl}/v1/data/${ENTRYPOINT}`, dataBody);
  const oData = await load(`${oUrl}/v1/data/${ENTRYPOINT}`, dataBody);
  const pCheck = await load(`${pUrl}/v1/check`, checkBody);
  console.log(`\n3. decisions per second over HTTP (${connections} connections, ${seconds} s each; same decision from both: ${same ? 'yes' : 'NO'})`);
  console.log(`   opa run --server   POST /v1/data/${ENTRYPOINT}: ${fmt(oData, 0)}/s`);
  console.log(`   portcullis serve   POST /v1/data/${ENTRYPOINT}: ${fmt(pData, 0)}/s  ratio ${fmt(pData / oData)} (target >= 1.0)`);
  console.log(`   portcullis serve   POST /v1/check (raw report):  ${fmt(pCheck, 0)}/s  ratio ${fmt(pCheck / oData)} (target >= 1.0)`);
} finally {
  await stop(portcullis);
  await stop(opaServer);
  rmSync(work, { recursive: true, force: true });
}

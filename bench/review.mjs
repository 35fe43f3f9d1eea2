#!/usr/bin/env node
// Replays 10,000 recorded inputs (decision-log events made from the real
// fixture reports with varied images, namespaces and severities) through two
// policy versions, and prints the wall time of `portcullis review` end to end
// and of the replay alone on worker threads and on one thread. A first review
// warms the build cache and base's kept lint and coverage, as an earlier review
// of the same branch would.
// Target: the end-to-end review <= 20 s, as the median of 3 runs. Needs `npm run build` first.
// Usage: node bench/review.mjs [--inputs N]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const loadAtStart = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
const CLI = join(ROOT, 'bin/portcullis.js');
const REPORTS = join(ROOT, 'test', 'fixtures', 'real', 'reports');
const NOW = '2026-11-01T00:00:00Z';
const count = Number(process.argv[process.argv.indexOf('--inputs') + 1]) || 10_000;
const dist = (p) => import(join(ROOT, 'dist/src', p));
const { normalizeFiles } = await dist('inputs/index.js');
const { replay, summarize } = await dist('review/index.js');
const { buildBundles, compilerIdentity, OpaCompiler, resolveToolchain, toolEnvironment } = await dist('compile/index.js');

const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-review-'));
const repo = join(work, 'repo');
const git = (...args) =>
  execFileSync('git', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();

// The policy library when the checkout has it, tightened the way a reviewer would see it: the
// production profile's OS-package threshold lowered from HIGH to MEDIUM.
const library = existsSync(join(ROOT, 'policies/scan/decision.rego')) && existsSync(join(ROOT, 'examples/policy/settings.yaml'));
function writeVersion(tightened) {
  mkdirSync(join(repo, 'bundles', 'data'), { recursive: true });
  cpSync(join(ROOT, 'policies/scan'), join(repo, 'policies/scan'), { recursive: true });
  const settings = readFileSync(join(ROOT, 'examples/policy/settings.yaml'), 'utf8');
  const os = '{ package_class: os, severity: HIGH, ignore_unfixed: true, enforcement: deny }';
  writeFileSync(join(repo, 'bundles/data/settings.yaml'), tightened ? settings.replace(os, os.replace('HIGH', 'MEDIUM')) : settings);
  writeFileSync(
    join(repo, 'bundles/image-scan.yaml'),
    'name: image-scan\nroots: [portcullis/scan]\npolicies: ["../policies/scan/**/*.rego"]\ndata:\n  - file: data/settings.yaml\n    path: portcullis/scan/settings\nentrypoints: [portcullis/scan/decision]\n',
  );
}
if (!library) throw new Error('bench/review.mjs needs policies/scan and examples/policy/settings.yaml');

mkdirSync(repo, { recursive: true });
git('init', '-q', '-b', 'main');
git('config', 'user.email', 'bench@example.com');
git('config', 'user.name', 'Bench');
writeVersion(false);
git('add', '.');
git('commit', '-q', '-m', 'base');
git('checkout', '-q', '-b', 'head');
writeVersion(true);
git('commit', '-q', '-am', 'tighten');

// Recorded inputs: every fixture report normalized once, then varied per event.
const fixtures = [];
for (const f of readdirSync(REPORTS)
  .filter((f) => f.endsWith('.json'))
  .sort())
  fixtures.push(await normalizeFiles({ reports: [{ path: join(REPORTS, f) }], now: NOW }));
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const RANK = { LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
const lines = [];
for (let i = 0; i < count; i++) {
  const input = structuredClone(fixtures[i % fixtures.length]);
  const ref = `registry.example.com/team-${i % 17}/svc-${i % 250}:1.${i % 40}`;
  input.image = { ...input.image, ref, name: ref.split(':')[0], tag: `1.${i % 40}` };
  input.metadata = { ...input.metadata, namespace: ['prod', 'prod-payments', 'dev', 'staging-web', 'production'][i % 5], environment: null };
  for (const v of input.vulnerabilities) {
    if (random() < 0.2) v.severity = SEVERITIES[Math.floor(random() * 4)];
    v.severity_rank = RANK[v.severity] ?? v.severity_rank;
  }
  lines.push(JSON.stringify({ decision_id: `bench-${i}`, path: 'portcullis/scan/decision', input }));
}
const events = join(work, 'decisions.ndjson');
writeFileSync(events, `${lines.join('\n')}\n`);
const mb = (readFileSync(events).byteLength / 1e6).toFixed(0);

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const env = { ...process.env, PORTCULLIS_STATE_DIR: join(work, 'state') };
function review(threads) {
  const start = process.hrtime.bigint();
  const args = [
    CLI,
    'review',
    '--base',
    'main',
    '--head',
    'head',
    '--from-decisions',
    events,
    '--output',
    'json',
    '--fail-on',
    'never',
    ...(threads === undefined ? [] : ['--threads', String(threads)]),
  ];
  const out = execFileSync(process.execPath, args, { cwd: repo, env, maxBuffer: 1 << 30 });
  return { time: seconds(start), result: JSON.parse(out.toString()) };
}
// Warms the build cache and base's kept checks, as an earlier review of the branch would: the timed runs compile
// nothing and run base's lint and coverage no more; head's checks run every time.
review();
const pooledRuns = [review(), review(), review()].sort((a, b) => a.time - b.time);
const pooled = pooledRuns[1];
const single = review(0);

// The replay alone, with the bundles built once.
const toolchain = resolveToolchain(toolEnvironment(process.env));
async function bundleOf(ref) {
  git('checkout', '-q', ref);
  const [built] = await buildBundles({
    definitionsDir: join(repo, 'bundles'),
    outDir: join(work, `out-${ref}`),
    cacheDir: join(work, 'state', 'cache'),
    compilerId: compilerIdentity(),
    compiler: () => new OpaCompiler(toolchain),
  });
  return new Uint8Array(readFileSync(built.path));
}
const setup = { base: await bundleOf('main'), head: await bundleOf('head'), entrypoint: 'portcullis/scan/decision', now: NOW };
const cases = lines.map((line, i) => ({ id: `bench-${i}`, source: 'decision log', input: JSON.stringify(JSON.parse(line).input) }));
// CPU seconds of every thread of this process, so a busy machine shows in wall time but not here.
const cpu = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
async function replayTime(threads) {
  const start = process.hrtime.bigint();
  const before = process.cpuUsage();
  const summary = summarize(await replay(setup, cases, { threads }));
  return { time: seconds(start), cpu: cpu(before), summary };
}
const threads = availableParallelism();
const onPool = await replayTime(threads);
const onOne = await replayTime(0);
rmSync(work, { recursive: true, force: true });

const s = pooled.result.replay;
console.log(`portcullis review: ${count} recorded inputs (${mb} MB of decision-log events) through two versions of the image-scan library`);
console.log(`  changed ${s.changed}: ${s.newlyDenied} newly denied, ${s.newlyAllowed} newly allowed, ${s.findingsOnly} findings only, ${s.errors} errors`);
console.log(
  `  end to end (build and base's checks cached, head's opa and Regal checks, replay, report), ${threads} worker threads: median of 3 runs ${pooled.time.toFixed(2)} s (runs ${pooledRuns.map((r) => r.time.toFixed(2)).join(', ')} s; target <= 20 s: ${pooled.time <= 20 ? 'met' : 'NOT MET'})`,
);
console.log(`  end to end on one thread (--threads 0):                      ${single.time.toFixed(2)} s`);
console.log(
  `  replay alone, ${threads} worker threads: ${onPool.time.toFixed(2)} s (${(count / onPool.time).toFixed(0)} inputs/s, each through both versions; ${onPool.cpu.toFixed(1)} CPU s)`,
);
console.log(`  replay alone, one thread:  ${onOne.time.toFixed(2)} s (${(count / onOne.time).toFixed(0)} inputs/s; ${onOne.cpu.toFixed(1)} CPU s)`);
console.log(
  `  load average at the start ${loadAtStart}, at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (other processes share the cores)`,
);
console.log(
  `  speed-up from worker threads: ${(onOne.time / onPool.time).toFixed(2)}x replay, ${(single.time / pooled.time).toFixed(2)}x end to end, on ${threads} cores`,
);
if (JSON.stringify(onPool.summary) !== JSON.stringify(onOne.summary)) throw new Error('worker and single-thread replays disagree');

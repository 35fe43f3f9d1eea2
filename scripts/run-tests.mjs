#!/usr/bin/env node
// Runs the test files of one tier, or of all, with Node's test runner, since
// Node 20's --test neither expands globs nor picks up .ts files by itself.
// The TypeScript goes through the lean hooks of test/helpers/typescript.mjs
// (cached esbuild output) rather than tsx, whose hooks cost every process
// over a second of CPU. A file's tier is its name:
//   unit         test/**/*.test.ts: no child processes (test/helpers/no-child-processes.mjs)
//   integration  test/**/*.integration.test.ts: real opa, gator, PostgreSQL...
//   e2e          test/e2e/**: real peers (OPA agents, registries, browsers)
//   reliability  test/reliability/**: fuzzing, fault injection, abuse
// Unit files share one process per concurrent slot (test/helpers/test-shard.mjs): Node 20
// has no in-process isolation, and a process per file cost the unit tier more
// CPU in start-up and in loading the same modules again than in its tests. A
// unit file that needs a fresh process (it checks what a process has loaded)
// says so with a line `// run-tests: own process`. Every other file runs in
// its own process, as `node --test` does.
// Usage: run-tests.mjs [--tier NAME]... [--durations] [FILE...] [node --test flags]
// --durations runs every file in its own process, to print each file's wall
// and CPU time (process start to exit) and their sums.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const TIERS = ['unit', 'integration', 'e2e', 'reliability'];
const OWN_PROCESS = /^\/\/ run-tests: own process\b/m;
// Test processes at once, as ever: the 2 cores CI has, and what the integration tiers were written for.
const CONCURRENCY = 2;

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return find(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

export function tierOf(path) {
  const posix = path.split('\\').join('/');
  if (posix.startsWith('test/e2e/')) return 'e2e';
  if (posix.startsWith('test/reliability/')) return 'reliability';
  if (posix.endsWith('.integration.test.ts')) return 'integration';
  return 'unit';
}

const args = process.argv.slice(2);
const tiers = [];
const files = [];
const flags = [];
let durations = false;
for (let i = 0; i < args.length; i += 1) {
  const arg = args[i];
  if (arg === '--tier') {
    const tier = args[(i += 1)];
    if (!TIERS.includes(tier)) {
      console.error(`run-tests: unknown tier '${tier}' (known: ${TIERS.join(', ')})`);
      process.exit(2);
    }
    tiers.push(tier);
  } else if (arg === '--durations') durations = true;
  else if (arg.startsWith('--')) flags.push(arg);
  else files.push(arg);
}

const chosen = (files.length > 0 ? files : find('test')).filter((f) => tiers.length === 0 || tiers.includes(tierOf(f))).sort();
if (chosen.length === 0) {
  console.error('run-tests: no test files match');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'portcullis-tests-'));
/** What each process the runner starts runs: its entry file and the test files it loads. */
const processes = plan(chosen);
const preload = ['--import', './test/helpers/typescript.mjs'];
if (durations) preload.push('--import', './test/helpers/file-duration.mjs');
// The tests' temporary files go under the run's own folder, removed with it: tests make hundreds of folders
// (stores, bundles, servers' state), and a run, passed or failed, leaves none behind. The folder is as open as
// the system's, since PostgreSQL's server runs as its own user inside it.
const temp = join(work, 'tmp');
mkdirSync(temp);
chmodSync(work, 0o755);
chmodSync(temp, 0o1777);
const env = { ...process.env, TMPDIR: temp, ...(durations ? { PORTCULLIS_TEST_DURATIONS: join(work, 'files.tsv') } : {}) };
const started = Date.now();
const entries = processes.map((p) => p.entry);
const result = spawnSync(process.execPath, [...preload, '--test', `--test-concurrency=${CONCURRENCY}`, ...flags, ...entries], { stdio: 'inherit', env });
if (durations) report(join(work, 'files.tsv'), Date.now() - started);
if (result.status !== 0) nameShares();
rmSync(work, { recursive: true, force: true });
process.exit(result.status ?? 1);

/**
 * Unit files go through an entry module that first installs the
 * no-child-processes guard; the others run as they are. Without --durations,
 * the unit files that can share a process are dealt into one share per slot,
 * largest first onto the lightest share (file size stands in for cost).
 */
function plan(list) {
  const units = list.filter((f) => tierOf(f) === 'unit');
  const others = list.filter((f) => tierOf(f) !== 'unit').map((f) => ({ entry: f, files: [f] }));
  const alone = durations ? units : units.filter((f) => OWN_PROCESS.test(readFileSync(f, 'utf8')));
  const shared = units.filter((f) => !alone.includes(f));
  const shares = Array.from({ length: Math.min(CONCURRENCY, shared.length) }, () => ({ files: [], weight: 0 }));
  for (const file of [...shared].sort((a, b) => statSync(b).size - statSync(a).size)) {
    const share = shares.reduce((lightest, s) => (s.weight < lightest.weight ? s : lightest));
    share.files.push(file);
    share.weight += statSync(file).size;
  }
  const groups = [...shares.map((s) => s.files.sort()), ...alone.map((f) => [f])];
  const unitEntries = groups.map((group, i) => ({ entry: writeEntry(`unit-${i + 1}-of-${groups.length}.mjs`, group), files: group }));
  return [...unitEntries, ...others];
}

function writeEntry(name, group) {
  const url = (path) => JSON.stringify(pathToFileURL(resolve(path)).href);
  const entry = join(work, name);
  writeFileSync(
    entry,
    [
      `// Written by scripts/run-tests.mjs: ${group.join(', ')}`,
      `import ${url('test/helpers/no-child-processes.mjs')};`,
      `import { importTestFiles } from ${url('test/helpers/test-shard.mjs')};`,
      `await importTestFiles(${JSON.stringify(group.map((f) => resolve(f)))});`,
      '',
    ].join('\n'),
  );
  return entry;
}

/** A share that fails as a whole (its process crashed or exited) is named by its entry: say which files it ran. */
function nameShares() {
  for (const { entry, files: group } of processes.filter((p) => p.entry !== p.files[0])) console.error(`run-tests: ${entry} ran ${group.join(', ')}`);
}

function report(path, wall) {
  const fileOf = new Map(processes.map((p) => [resolve(p.entry), p.files.join(', ')]));
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .map(([ms, cpu, entry]) => ({ ms: Number(ms), cpu: Number(cpu), file: fileOf.get(entry) ?? relative(process.cwd(), entry) }))
    .sort((a, b) => b.ms - a.ms);
  const seconds = (ms) => `${(ms / 1000).toFixed(1).padStart(6)} s`;
  console.log('   wall      cpu  file (each in its own process)');
  for (const { ms, cpu, file } of rows) console.log(`${seconds(ms)} ${seconds(cpu)}  ${file}`);
  const sum = (key) => rows.reduce((total, row) => total + row[key], 0);
  console.log(`${rows.length} files: ${seconds(sum('ms'))} wall and ${seconds(sum('cpu'))} CPU summed; ${seconds(wall)} wall in all`);
}

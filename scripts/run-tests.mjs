#!/usr/bin/env node
// Runs the test files of one tier, or of all, with Node's test runner, since
// Node 20's --test neither expands globs nor picks up .ts files by itself.
// Each file runs in its own process, so the TypeScript goes through the lean
// hooks of test/helpers/typescript.mjs (cached esbuild output) rather than
// tsx, whose hooks cost every process over a second of CPU: with 70 files on
// two cores that was half of the unit tier's time. A file's tier is its name:
//   unit         test/**/*.test.ts: no child processes (enforced by a preload)
//   integration  test/**/*.integration.test.ts: real opa, gator, PostgreSQL...
//   e2e          test/e2e/**: real peers (OPA agents, registries, browsers)
//   reliability  test/reliability/**: fuzzing, fault injection, abuse
// Usage: run-tests.mjs [--tier NAME]... [--durations] [FILE...] [node --test flags]
// --durations prints each file's wall and CPU time (process start to exit) and their sums.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TIERS = ['unit', 'integration', 'e2e', 'reliability'];

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
// The guard only applies when every chosen file is a unit test.
const unitOnly = chosen.every((f) => tierOf(f) === 'unit');
const preload = ['--import', './test/helpers/typescript.mjs', ...(unitOnly ? ['--import', './test/helpers/no-child-processes.mjs'] : [])];
const timing = durations ? mkdtempSync(join(tmpdir(), 'portcullis-durations-')) : undefined;
if (timing) preload.push('--import', './test/helpers/file-duration.mjs');
const env = timing ? { ...process.env, PORTCULLIS_TEST_DURATIONS: join(timing, 'files.tsv') } : process.env;
const started = Date.now();
const result = spawnSync(process.execPath, [...preload, '--test', '--test-concurrency=2', ...flags, ...chosen], { stdio: 'inherit', env });
if (timing) report(join(timing, 'files.tsv'), Date.now() - started);
process.exit(result.status ?? 1);

function report(path, wall) {
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .map(([ms, cpu, file]) => ({ ms: Number(ms), cpu: Number(cpu), file }))
    .sort((a, b) => b.ms - a.ms);
  rmSync(timing, { recursive: true, force: true });
  const seconds = (ms) => `${(ms / 1000).toFixed(1).padStart(6)} s`;
  console.log('   wall      cpu  file');
  for (const { ms, cpu, file } of rows) console.log(`${seconds(ms)} ${seconds(cpu)}  ${file}`);
  const sum = (key) => rows.reduce((total, row) => total + row[key], 0);
  console.log(`${rows.length} files: ${seconds(sum('ms'))} wall and ${seconds(sum('cpu'))} CPU summed; ${seconds(wall)} wall in all`);
}

#!/usr/bin/env node
// Measures `portcullis build` against bare `opa build -t wasm` on the same
// sources, entrypoints and capabilities, in one run, and prints the ratios.
// Targets: cold build <= 1.3x opa; unchanged rebuild < 0.3 s.
// Usage: npm run bench:build [-- --runs N]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fileURLToPath } from 'node:url';
import { opaPath } from '../scripts/opa-path.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/portcullis.js');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 9;
const opa = opaPath();

const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-build-'));
for (const dir of ['policies', 'bundles', 'examples', 'schemas']) cpSync(join(ROOT, dir), join(work, dir), { recursive: true });
const env = { ...process.env, OPA_BIN: opa, PORTCULLIS_STATE_DIR: join(work, 'state') };

function time(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const portcullisCold = () => {
  rmSync(join(work, 'state', 'cache'), { recursive: true, force: true });
  rmSync(join(work, 'out'), { recursive: true, force: true });
  execFileSync(process.execPath, [CLI, 'build', '--out', 'out'], { cwd: work, env, stdio: 'ignore' });
};
const portcullisWarm = () => execFileSync(process.execPath, [CLI, 'build', '--out', 'out'], { cwd: work, env, stdio: 'ignore' });
// The same compile opa does for each definition: its Rego files and entrypoints, with the pinned capabilities.
const definitions = readdirSync(join(work, 'bundles'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => parseYaml(readFileSync(join(work, 'bundles', f), 'utf8')));
// The definitions' patterns are `<dir>/*.rego` or `<dir>/**/*.rego`: every Rego file below the folder.
const regoFiles = (patterns) =>
  patterns.flatMap((pattern) => {
    const base = join('bundles', pattern).split('/').filter((seg, i, all) => !all.slice(0, i + 1).some((x) => x.includes('*'))).join('/');
    return readdirSync(join(work, base), { recursive: true })
      .filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'))
      .map((f) => join(base, f));
  });
const opaBuild = () => {
  for (const d of definitions) {
    const entrypoints = d.entrypoints.flatMap((e) => ['-e', e]);
    const args = ['build', '-t', 'wasm', '--capabilities', join(ROOT, 'tools/opa/capabilities.json'), ...entrypoints, '-o', join(work, `${d.name}.opa.tar.gz`)];
    execFileSync(opa, [...args, ...regoFiles(d.policies)], { cwd: work, stdio: 'ignore' });
  }
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const samples = { opa: [], cold: [], warm: [] };
portcullisCold();
opaBuild();
for (let i = 0; i < runs; i++) {
  samples.opa.push(time(opaBuild));
  samples.cold.push(time(portcullisCold));
  samples.warm.push(time(portcullisWarm));
}
rmSync(work, { recursive: true, force: true });

const m = { opa: median(samples.opa), cold: median(samples.cold), warm: median(samples.warm) };
const fmt = (s) => `${(s * 1000).toFixed(0)} ms`;
console.log(`bench/build: median of ${runs} runs, the repository's bundles (${definitions.map((d) => d.name).join(', ')})`);
console.log(`  opa build -t wasm          ${fmt(m.opa)}`);
console.log(`  portcullis build (cold)    ${fmt(m.cold)}   ratio ${(m.cold / m.opa).toFixed(2)}x   target <= 1.30x  ${m.cold / m.opa <= 1.3 ? 'OK' : 'MISSED'}`);
console.log(`  portcullis build (unchanged) ${fmt(m.warm)}   target < 300 ms  ${m.warm < 0.3 ? 'OK' : 'MISSED'}`);

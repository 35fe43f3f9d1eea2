#!/usr/bin/env node
// Measures `portcullis build` against bare `opa build -t wasm` on the same
// sources, entrypoints and capabilities, in one run, and prints the ratios.
// Targets: cold build <= 1.3x opa; unchanged rebuild < 0.3 s. Two workloads:
// the repository's own bundles, and a generated policy set of 3,000 rules in
// 300 packages, where compiling, not process start-up, dominates. Each also
// prints the floor for any Node CLI doing the same job: Node started, yaml
// loaded, and the same opa builds run side by side.
// Usage: npm run bench:build [-- --runs N]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fileURLToPath } from 'node:url';
import { pinnedToolPath } from '../scripts/go-tool.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/portcullis.js');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 9;
const opa = pinnedToolPath('opa');

function time(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => `${(s * 1000).toFixed(0)} ms`;

/** The repository's bundles, with what they need beside them. */
function repositoryWorkload() {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-build-'));
  for (const dir of ['policies', 'bundles', 'examples', 'schemas']) cpSync(join(ROOT, dir), join(work, dir), { recursive: true });
  return work;
}

/** 300 packages of 10 rules each (comparisons, regex, globs, string building) and one aggregate entrypoint. */
function generatedWorkload() {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-build-large-'));
  mkdirSync(join(work, 'policies/large/rules'), { recursive: true });
  mkdirSync(join(work, 'bundles'));
  for (let p = 0; p < 300; p++) {
    const rules = Array.from(
      { length: 10 },
      (_, r) => `deny contains msg if {
	some item in input.items
	item.kind == "kind-${p}-${r}"
	regex.match(\`^name-${r}-[a-z]+$\`, item.name)
	not glob.match("registry-${p}.example.com/*", ["/"], item.image)
	msg := concat("", ["rule ${p}.${r}: ", item.name])
}`,
    );
    writeFileSync(join(work, `policies/large/rules/p${p}.rego`), `package large.rules.p${p}\n\n${rules.join('\n\n')}\n`);
  }
  writeFileSync(join(work, 'policies/large/all.rego'), 'package large.all\n\ndeny contains msg if {\n\tsome msg in data.large.rules[_].deny\n}\n');
  writeFileSync(join(work, 'bundles/large.yaml'), 'name: large\nroots: [large]\npolicies: ["../policies/large/**/*.rego"]\nentrypoints: [large/all/deny]\n');
  return work;
}

function measure(label, work) {
  const env = { ...process.env, OPA_BIN: opa, PORTCULLIS_STATE_DIR: join(work, 'state') };
  const build = () => execFileSync(process.execPath, [CLI, 'build', '--out', 'out'], { cwd: work, env, stdio: 'ignore' });
  const cold = () => {
    rmSync(join(work, 'state', 'cache'), { recursive: true, force: true });
    rmSync(join(work, 'out'), { recursive: true, force: true });
    build();
  };
  // The same compile opa does for each definition: its Rego files and entrypoints, with the pinned capabilities.
  const definitions = readdirSync(join(work, 'bundles'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parseYaml(readFileSync(join(work, 'bundles', f), 'utf8')));
  // The definitions' patterns are `<dir>/*.rego` or `<dir>/**/*.rego`: every Rego file below the folder.
  const regoFiles = (patterns) =>
    patterns.flatMap((pattern) => {
      const base = join('bundles', pattern)
        .split('/')
        .filter((seg, i, all) => !all.slice(0, i + 1).some((x) => x.includes('*')))
        .join('/');
      return readdirSync(join(work, base), { recursive: true })
        .filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'))
        .map((f) => join(base, f));
    });
  const opaBuild = () => {
    for (const d of definitions) {
      const entrypoints = d.entrypoints.flatMap((e) => ['-e', e]);
      const args = [
        'build',
        '-t',
        'wasm',
        '--capabilities',
        join(ROOT, 'tools/opa/capabilities.json'),
        ...entrypoints,
        '-o',
        join(work, `${d.name}.opa.tar.gz`),
      ];
      execFileSync(opa, [...args, ...regoFiles(d.policies)], { cwd: work, stdio: 'ignore' });
    }
  };
  // What no Node CLI can beat: start Node, load yaml, and run the same opa builds side by side.
  const floorScript = join(work, 'floor.mjs');
  writeFileSync(
    floorScript,
    `import { execFile } from 'node:child_process';
await import(${JSON.stringify(join(ROOT, 'node_modules/yaml/dist/index.js'))});
const runs = ${JSON.stringify(definitions.map((d) => ['build', '-t', 'wasm', '--capabilities', join(ROOT, 'tools/opa/capabilities.json'), ...d.entrypoints.flatMap((e) => ['-e', e]), '-o', join(work, `${d.name}.floor.tar.gz`), ...regoFiles(d.policies)]))};
await Promise.all(runs.map((args) => new Promise((resolve, reject) => execFile(${JSON.stringify(opa)}, args, { cwd: ${JSON.stringify(work)} }, (err) => (err ? reject(err) : resolve())))));
`,
  );
  const floor = () => execFileSync(process.execPath, [floorScript], { cwd: work, stdio: 'ignore' });
  const samples = { opa: [], cold: [], warm: [], floor: [] };
  cold();
  opaBuild();
  for (let i = 0; i < runs; i++) {
    samples.opa.push(time(opaBuild));
    samples.cold.push(time(cold));
    samples.warm.push(time(build));
    samples.floor.push(time(floor));
  }
  rmSync(work, { recursive: true, force: true });
  const m = { opa: median(samples.opa), cold: median(samples.cold), warm: median(samples.warm), floor: median(samples.floor) };
  console.log(`${label} (${definitions.map((d) => d.name).join(', ')}), median of ${runs} runs`);
  console.log(`  opa build -t wasm            ${fmt(m.opa)}`);
  console.log(
    `  portcullis build (cold)      ${fmt(m.cold)}   ratio ${(m.cold / m.opa).toFixed(2)}x   target <= 1.30x  ${m.cold / m.opa <= 1.3 ? 'OK' : 'MISSED'}`,
  );
  console.log(`  portcullis build (unchanged) ${fmt(m.warm)}   target < 300 ms  ${m.warm < 0.3 ? 'OK' : 'MISSED'}`);
  console.log(
    `  floor for a Node CLI         ${fmt(m.floor)}   ratio ${(m.floor / m.opa).toFixed(2)}x   (Node start, yaml loaded, the same opa builds side by side)`,
  );
}

console.log('bench/build: portcullis build vs bare opa build -t wasm on the same sources');
measure('repository bundles', repositoryWorkload());
measure('generated policy set: 3,000 rules in 300 packages', generatedWorkload());

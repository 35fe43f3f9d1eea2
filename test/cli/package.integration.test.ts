// The package as a new user gets it: `npm pack` of a copy of this checkout,
// installed offline into a scratch project, and run there with neither opa nor
// Go on PATH: check (table, SARIF), doctor, the CI examples' check steps and
// the documented /v1/check command; then `setup opa` from the shipped Go module.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { findPinnedTool, PACKAGE_TOOLS, TOOL_SPECS, toolEnvironment } from '../../src/compile/index.js';
import { sha256Hex } from '../../src/core/index.js';
import { REAL_FIXTURES, REAL_REPORTS } from '../helpers/fixtures.js';
import { buildWithOpa } from '../helpers/opa.js';
import { REPO, startPortcullis, waitFor } from '../helpers/processes.js';

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly files: readonly string[];
  readonly scripts?: Record<string, string>;
}

const PKG = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as PackageJson;
/** 863 KB: far beyond the 128 KiB a single command-line argument may hold. */
const BIG_REPORT = join(REAL_REPORTS, 'secureCodeBox__juice-shop-v10.2.0.json');
const DOCKERFILE = join(REAL_FIXTURES, 'dockerfiles', 'conftest__examples-docker__Dockerfile');
const NOW = '2026-06-01T00:00:00Z';

let work = '';
let checkout = '';
let tarball = '';
let app = '';
let bin = '';

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const result = spawnSync(command, [...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  if (result.error) throw result.error;
  return result;
}

const explain = (r: SpawnSyncReturns<string>) => `exit ${r.status}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

/** The environment without the parent npm's variables, which would leak into the npm we start. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && !PACKAGE_TOOLS.some((n) => k === TOOL_SPECS[n].envVar)));
}

/** A machine without opa and Go: PATH without any folder that holds them, no tool variables, an empty per-user cache. */
function withoutTools(cache = join(work, 'empty-cache')): NodeJS.ProcessEnv {
  const path = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((dir) => dir && !['go', ...PACKAGE_TOOLS].some((tool) => existsSync(join(dir, tool))))
    .join(delimiter);
  return { ...baseEnv(), PATH: path, XDG_CACHE_HOME: cache };
}

/** The files of this checkout as a fresh clone would have them (tracked and new, minus ignored), with the same node_modules. */
function copyCheckout(dest: string): void {
  const listed = run('git', ['ls-files', '-co', '--exclude-standard', '-z'], REPO, baseEnv());
  assert.equal(listed.status, 0, explain(listed));
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(REPO, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(join(REPO, file), join(dest, file));
  }
  symlinkSync(join(REPO, 'node_modules'), join(dest, 'node_modules'));
}

/**
 * A project that depends on the tarball, with a lockfile holding the same
 * dependency versions as this repository's. npm resolves dependencies missing
 * from a lockfile with full registry documents, which the cache that an
 * install from a lockfile leaves does not hold, so this is what lets
 * `npm ci --offline` install from the npm cache alone, as a project with a
 * lockfile installs in CI.
 */
function scratchApp(dir: string, tgz: string): void {
  mkdirSync(dir, { recursive: true });
  const spec = `file:${tgz}`;
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  const packages: Record<string, unknown> = {
    '': { name: 'app', version: '1.0.0', dependencies: { portcullis: spec } },
    'node_modules/portcullis': {
      version: PKG.version,
      resolved: spec,
      license: pkg['license'],
      dependencies: pkg['dependencies'],
      bin: pkg['bin'],
      engines: pkg['engines'],
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry['dev'] === true || entry['link'] === true) continue;
    const { devOptional: _devOptional, ...kept } = entry;
    packages[path] = kept;
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { portcullis: spec } }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
}

/** The env of the pack: the pinned tools this machine has, named by their variables, so the copy needs no .tools of its own. */
function packEnv(): NodeJS.ProcessEnv {
  const env = baseEnv();
  for (const name of PACKAGE_TOOLS) {
    const found = findPinnedTool(name, toolEnvironment(process.env));
    if (found) env[TOOL_SPECS[name].envVar] = found.path;
  }
  return env;
}

function tarEntries(): string[] {
  const listed = run('tar', ['tzf', tarball], work, baseEnv());
  assert.equal(listed.status, 0, explain(listed));
  return listed.stdout.split('\n').filter(Boolean);
}

/** Runs a shell script as GitHub Actions (bash -eo pipefail) and GitLab's bash runner (set -eo pipefail) do, with `portcullis` on PATH as a global install puts it. */
function ciShell(script: string, cwd: string): SpawnSyncReturns<string> {
  const env = withoutTools();
  env['PATH'] = `${join(app, 'node_modules', '.bin')}${delimiter}${env['PATH'] ?? ''}`;
  return run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], cwd, env);
}

function caseDir(name: string, files: Record<string, string>): string {
  const dir = join(work, 'cases', name);
  mkdirSync(dir, { recursive: true });
  for (const [to, from] of Object.entries(files)) copyFileSync(from, join(dir, to));
  return dir;
}

describe('the packed package', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'portcullis-pack-'));
    const reachable = run('sh', ['-c', 'for c in node npm bash tar jq curl; do command -v "$c" >/dev/null || echo "$c"; done'], tmpdir(), withoutTools());
    assert.equal(reachable.stdout.trim(), '', 'these commands share a PATH folder with opa or Go, which the test leaves out');
    checkout = join(work, 'checkout');
    copyCheckout(checkout);
    const packed = run('npm', ['pack', '--pack-destination', work], checkout, packEnv());
    assert.equal(packed.status, 0, `npm pack failed: ${explain(packed)}`);
    tarball = join(work, `${PKG.name}-${PKG.version}.tgz`);
    assert.ok(existsSync(tarball), `no ${tarball}: ${explain(packed)}`);
    app = join(work, 'app');
    scratchApp(app, tarball);
    const installed = run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app, withoutTools());
    assert.equal(installed.status, 0, `offline install failed: ${explain(installed)}`);
    bin = join(app, 'node_modules', '.bin', 'portcullis');
  });

  it('holds what check, doctor and setup need at run time and nothing private', () => {
    const entries = tarEntries();
    const required = [
      'package.json',
      'LICENSE',
      'bin/portcullis.js',
      'dist/src/cli/main.js',
      'dist/bundles/image-scan.tar.gz',
      'bundles/image-scan.yaml',
      'examples/policy/settings.yaml',
      'schemas/policy-settings.schema.json',
      'gatekeeper/rego/lib_images.rego',
      'tools/opa/capabilities.json',
      ...PACKAGE_TOOLS.flatMap((t) => [`tools/${t}/go.mod`, `tools/${t}/go.sum`, `tools/${t}/tools.go`]),
    ];
    for (const file of required) assert.ok(entries.includes(`package/${file}`), `${file} is not in the tarball`);
    assert.ok(
      entries.some((e) => e.startsWith('package/dist/validators/')),
      'the precompiled validators are in the tarball',
    );
    // Every entry of "files" ships something: a listed path that does not exist is silently left out by npm.
    for (const entry of PKG.files.filter((f) => !f.startsWith('!'))) {
      assert.ok(
        entries.some((e) => e === `package/${entry}` || e.startsWith(`package/${entry}/`)),
        `"files" lists ${entry}, which is not in the tarball`,
      );
    }
    const privatePatterns = [
      /^package\/test\//,
      /_test\.rego$/,
      /\/\.tools\//,
      /\.(pem|key)$/,
      /^package\/(scripts|src|bench|\.ci)\//,
      /\.ts$/,
      /\/\.portcullis\//,
      /node_modules/,
    ];
    for (const entry of entries) {
      for (const pattern of privatePatterns) assert.doesNotMatch(entry, pattern, `${entry} should not be packed`);
    }
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'portcullis', 'package.json'), 'utf8')) as PackageJson;
    for (const hook of ['preinstall', 'install', 'postinstall']) {
      assert.equal(manifest.scripts?.[hook], undefined, `an install-time ${hook} script would run where the package is installed`);
    }
  });

  it('ships exactly the bundle bundles/image-scan.yaml builds', async () => {
    const built = (await buildWithOpa(join(REPO, 'bundles'))).find((r) => r.name === 'image-scan');
    assert.ok(built, 'bundles/image-scan.yaml was built');
    const shipped = readFileSync(join(app, 'node_modules', 'portcullis', 'dist', 'bundles', 'image-scan.tar.gz'));
    assert.equal(sha256Hex(shipped), sha256Hex(readFileSync(built.path)), 'the shipped bundle differs from a fresh build of bundles/image-scan.yaml');
  });

  it('check and check -o sarif decide a real report without opa or Go', () => {
    const env = withoutTools();
    const which = run('sh', ['-c', 'command -v opa || command -v go || echo none'], app, env);
    assert.equal(which.stdout.trim(), 'none', 'neither opa nor Go is reachable');
    const dir = caseDir('check', { 'trivy.json': BIG_REPORT, Dockerfile: DOCKERFILE });
    const table = run(bin, ['check', '--report', 'trivy.json', '--dockerfile', 'Dockerfile', '--now', NOW], dir, env);
    assert.equal(table.status, 1, `juice-shop v10.2.0 has fixable HIGH and CRITICAL vulnerabilities: ${explain(table)}`);
    assert.match(table.stdout, /vulnerability_severity/);
    const json = run(bin, ['check', '--report', 'trivy.json', '--dockerfile', 'Dockerfile', '--now', NOW, '-o', 'json'], dir, env);
    const decision = JSON.parse(json.stdout) as { decision: string; summary: { violations: number } };
    assert.equal(decision.decision, 'deny');
    assert.ok(decision.summary.violations > 0);
    const sarif = run(bin, ['check', '--report', 'trivy.json', '--dockerfile', 'Dockerfile', '--now', NOW, '-o', 'sarif'], dir, env);
    assert.equal(sarif.status, 1, explain(sarif));
    const log = JSON.parse(sarif.stdout) as { version: string; runs: { tool: { driver: { name: string } }; results: { ruleId: string }[] }[] };
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs[0]?.tool.driver.name, 'portcullis');
    assert.ok((log.runs[0]?.results.length ?? 0) >= decision.summary.violations, 'every violation is a SARIF result');
  });

  it('doctor reports what is missing and the command that installs it, exit 3', () => {
    const env = withoutTools();
    const text = run(bin, ['doctor'], app, env);
    assert.equal(text.status, 3, explain(text));
    assert.match(text.stdout, /^opa\s+\d+\.\d+\.\d+\s+MISSING$/m);
    assert.match(text.stdout, new RegExp(`^default bundle\\s+${join(app, 'node_modules', 'portcullis', 'dist', 'bundles', 'image-scan.tar.gz')}`, 'm'));
    assert.match(text.stderr, /opa \S+ is missing; .*run "npx portcullis setup opa"/);
    const json = run(bin, ['doctor', '--json'], app, env);
    assert.equal(json.status, 3);
    const report = JSON.parse(json.stdout) as Record<string, { matchesPin?: boolean; fix?: string | null; path?: string | null }>;
    assert.equal(report['opa']?.matchesPin, false);
    assert.match(report['opa']?.fix ?? '', /npx portcullis setup opa/);
    assert.match(report['regal']?.fix ?? '', /npx portcullis setup regal/);
    assert.ok(report['defaultBundle']?.path?.startsWith(join(app, 'node_modules', 'portcullis')));
  });

  it('--policies and setup without opa or Go exit 3 naming the command that exists here', () => {
    const env = withoutTools();
    const dir = caseDir('no-opa', { 'trivy.json': BIG_REPORT });
    const policies = run(bin, ['check', '--policies', join(app, 'node_modules', 'portcullis', 'policies', 'scan'), '--report', 'trivy.json'], dir, env);
    assert.equal(policies.status, 3, explain(policies));
    assert.match(policies.stderr, /opa \S+ is required but was not found .*run "npx portcullis setup opa"/);
    assert.doesNotMatch(policies.stderr, /npm run/);
    const setup = run(bin, ['setup', 'regal'], app, env);
    assert.equal(setup.status, 3, explain(setup));
    assert.match(setup.stderr, /Go is needed to build regal \S+ and is not installed: install Go/);
  });

  it('a pack without opa fails loudly instead of shipping without the bundle', () => {
    const dest = join(work, 'failed-pack');
    mkdirSync(dest);
    const packed = run('npm', ['pack', '--pack-destination', dest], checkout, withoutTools());
    assert.notEqual(packed.status, 0, explain(packed));
    assert.match(packed.stderr + packed.stdout, /cannot build dist\/bundles\/image-scan\.tar\.gz, which the package must ship/);
    assert.deepEqual(readdirSync(dest), [], 'no tarball was written');
  });

  it("the CI examples' check steps run as written and keep a report only when there is a decision", () => {
    const github = parse(readFileSync(join(REPO, 'examples', 'ci', 'github-actions.yml'), 'utf8')) as {
      jobs: Record<string, { steps: { name?: string; run?: string }[] }>;
    };
    const step = github.jobs['check-image']?.steps.find((s) => s.name === 'portcullis check')?.run;
    assert.ok(step, 'the check-image job has a portcullis check step');
    const gitlab = parse(readFileSync(join(REPO, 'examples', 'ci', 'gitlab-ci.yml'), 'utf8')) as Record<string, { script?: string[] }>;
    const script = gitlab['portcullis-check']?.script?.join('\n');
    assert.ok(script, 'the portcullis-check job has a script');

    const denied = caseDir('ci-deny', { 'trivy.json': BIG_REPORT, Dockerfile: DOCKERFILE });
    const gh = ciShell(step, denied);
    assert.equal(gh.status, 1, `the step fails on deny: ${explain(gh)}`);
    const sarif = JSON.parse(readFileSync(join(denied, 'portcullis.sarif'), 'utf8')) as { runs: { results: unknown[] }[] };
    assert.ok((sarif.runs[0]?.results.length ?? 0) > 0, 'the SARIF uploaded on deny holds the results');
    assert.match(gh.stdout, /^::error /m, 'the decision is annotated in the job log');
    const gl = ciShell(script, denied);
    assert.equal(gl.status, 1, explain(gl));
    const junit = readFileSync(join(denied, 'portcullis-junit.xml'), 'utf8');
    assert.match(junit, /^<\?xml[^>]*\?>\s*<testsuites[\s>]/);
    assert.match(junit, /<failure/);

    // A run that cannot decide (here: no report) exits 2 and leaves no empty file for the upload step.
    const broken = caseDir('ci-broken', { Dockerfile: DOCKERFILE });
    const ghBroken = ciShell(step, broken);
    assert.equal(ghBroken.status, 2, explain(ghBroken));
    assert.equal(existsSync(join(broken, 'portcullis.sarif')), false, 'no empty SARIF is left for upload');
    const glBroken = ciShell(script, broken);
    assert.equal(glBroken.status, 2, explain(glBroken));
    assert.equal(existsSync(join(broken, 'portcullis-junit.xml')), false, 'no empty JUnit report is left');
  });

  it('the documented /v1/check command sends an 863 KB report to a server of the shipped bundle', async () => {
    const doc = readFileSync(join(REPO, 'docs', 'check.md'), 'utf8');
    const block = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => b.includes('--data-binary @-') && b.includes('/v1/check'));
    assert.ok(block, 'docs/check.md has the jq | curl example');
    assert.ok(statSync(BIG_REPORT).size > 128 * 1024, 'the report is larger than one command-line argument may be');
    // The repository's own CLI serves the installed package's bundle: `serve` opens the SQLite store,
    // whose native module the offline install (--ignore-scripts) does not compile.
    const server = await startPortcullis(join(app, 'node_modules', 'portcullis', 'dist', 'bundles'));
    try {
      const url = server.url;
      await waitFor(
        async () => ((await fetch(`${url}/ready`).catch(() => undefined))?.status === 200 ? true : undefined),
        30_000,
        () => server.output(),
      );
      const dir = caseDir('http', { 'trivy.json': BIG_REPORT, Dockerfile: DOCKERFILE });
      const sent = ciShell(block.replaceAll('http://127.0.0.1:8480', url), dir);
      assert.equal(sent.status, 0, explain(sent));
      const answer = JSON.parse(sent.stdout) as { decision: string; target: string; summary: { violations: number } };
      assert.equal(answer.decision, 'deny');
      assert.equal(answer.target, 'bkimminich/juice-shop:v10.2.0');
      assert.ok(answer.summary.violations > 0);
    } finally {
      await server.stop();
    }
  });

  it('setup opa builds the pinned opa from the shipped Go module into the per-user cache, and --policies then uses the default settings', () => {
    const cache = join(work, 'user-cache');
    const go = (process.env['PATH'] ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, 'go')));
    assert.ok(go, 'Go is installed where the tests run');
    const goCache = run(join(go, 'go'), ['env', 'GOCACHE'], app, baseEnv()).stdout.trim();
    // Go keeps its build cache under XDG_CACHE_HOME too; the real one keeps this build incremental.
    const withGo = { ...withoutTools(cache), PATH: `${withoutTools(cache)['PATH'] ?? ''}${delimiter}${go}`, GOCACHE: goCache };
    const setup = run(bin, ['setup', 'opa'], app, withGo);
    assert.equal(setup.status, 0, explain(setup));
    const installed = /^opa \S+: (\S+) \(user-cache\)$/m.exec(setup.stdout)?.[1] ?? '';
    assert.ok(installed.startsWith(join(cache, 'portcullis', 'tools', 'opa')), setup.stdout);
    assert.ok(existsSync(installed), `${installed} exists`);

    const env = withoutTools(cache);
    const doctor = run(bin, ['doctor', '--json'], app, env);
    assert.equal(doctor.status, 0, explain(doctor));
    assert.equal((JSON.parse(doctor.stdout) as { opa: { source: string } }).opa.source, 'user-cache');

    const dir = caseDir('policies', { 'trivy.json': BIG_REPORT, Dockerfile: DOCKERFILE });
    const args = ['check', '--report', 'trivy.json', '--dockerfile', 'Dockerfile', '--now', NOW, '-o', 'json'];
    const shipped = run(bin, args, dir, env);
    const compiled = run(bin, [...args, '--policies', join(app, 'node_modules', 'portcullis', 'policies', 'scan')], dir, env);
    assert.equal(compiled.status, 1, explain(compiled));
    assert.match(compiled.stderr, /--policies without --data: using the default settings of the image-scan bundle \(examples\/policy\/settings\.yaml/);
    const strip = (text: string) => ({ ...(JSON.parse(text) as Record<string, unknown>), checked_at: undefined });
    assert.deepEqual(strip(compiled.stdout), strip(shipped.stdout), 'the library compiled with the default settings decides as the shipped bundle');
  });

  after(() => rm(work, { recursive: true, force: true }));
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildFixtureBundle, FIXTURE_DIR, FIXTURE_POLICIES, JUICE_SHOP, SHARED } from '../fixtures/check/bundle.js';
import { CLI, REPO } from '../helpers/processes.js';
import { sarifErrors } from '../report/sarif-schema.js';

const NOW = '2024-11-01T00:00:00Z';
const DOCKERFILE = join(SHARED, 'dockerfiles/conftest__examples-docker__Dockerfile');
const CLEAN = join(SHARED, 'reports/secureCodeBox__juice-shop-v12.10.2-empty-results.json');

function check(args: readonly string[], cwd = REPO) {
  return spawnSync(process.execPath, [CLI, 'check', '--now', NOW, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The JSON report a run printed; a run that printed none fails with its exit code and standard error. */
function reportOf(run: ReturnType<typeof check>) {
  assert.ok(run.stdout.startsWith('{'), `exit ${run.status} without a JSON report: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

describe('portcullis check', () => {
  let bundle: string;
  let scratch: string;

  before(async () => {
    bundle = await buildFixtureBundle();
    scratch = await mkdtemp(join(tmpdir(), 'portcullis-check-cli-'));
  });

  it('has --help naming every output format and the exit codes', () => {
    const run = spawnSync(process.execPath, [CLI, 'check', '--help'], { encoding: 'utf8' });
    assert.equal(run.status, 0);
    assert.match(run.stdout, /^Usage: portcullis check \[options\]/);
    for (const name of ['table', 'json', 'sarif', 'junit', 'github', 'markdown']) assert.match(run.stdout, new RegExp(`\\b${name}\\b`));
    assert.match(run.stdout, /exit 0 allow, 1 deny, 2 input or usage error, 3 internal error/);
  });

  it('exits 1 on the juice-shop report and lists the denied CVEs in json', () => {
    const run = check(['--bundle', bundle, '--report', JUICE_SHOP, '--output', 'json']);
    assert.equal(run.status, 1, run.stderr);
    const report = reportOf(run);
    assert.equal(report.decision, 'deny');
    assert.equal(report.target, 'bkimminich/juice-shop:v10.2.0');
    assert.ok(report.violations.length > 100);
    for (const v of report.violations) {
      assert.equal(v.rule, 'vulnerability_severity');
      assert.ok(['HIGH', 'CRITICAL'].includes(v.severity));
      assert.ok(v.id && v.package && v.installed_version && v.fixed_version && v.image, JSON.stringify(v));
    }
    // The fixture settings except lodash CVE-2020-8203 until 2099 and hold an expired exception.
    assert.ok(report.exceptions.every((e: { id: string }) => e.id === 'CVE-2020-8203'));
    assert.ok(report.exceptions.length > 0);
    assert.deepEqual(
      report.expired_exceptions.map((e: { id: string }) => e.id),
      ['CVE-2019-10744'],
    );
    assert.ok(
      report.violations.some((v: { id: string }) => v.id === 'CVE-2019-10744'),
      'an expired exception no longer applies',
    );
  });

  it('denies exactly the fixable HIGH and CRITICAL findings of the report, less the excepted one', () => {
    const run = check(['--bundle', bundle, '--report', JUICE_SHOP, '--output', 'json']);
    const raw = JSON.parse(readFileSync(JUICE_SHOP, 'utf8'));
    const expected = new Set<string>();
    for (const result of raw.Results ?? []) {
      for (const v of result.Vulnerabilities ?? []) {
        const severe = v.Severity === 'HIGH' || v.Severity === 'CRITICAL';
        const excepted = v.VulnerabilityID === 'CVE-2020-8203' && v.PkgName === 'lodash';
        if (severe && v.FixedVersion && !excepted) expected.add(`${v.VulnerabilityID} ${v.PkgName} ${v.InstalledVersion}`);
      }
    }
    const denied = new Set<string>(
      reportOf(run).violations.map((v: { id: string; package: string; installed_version: string }) => `${v.id} ${v.package} ${v.installed_version}`),
    );
    assert.deepEqual([...denied].sort(), [...expected].sort());
  });

  it('points SARIF results at the Dockerfile line and validates against the 2.1.0 schema', () => {
    const run = check(['--bundle', bundle, '--report', JUICE_SHOP, '--dockerfile', DOCKERFILE, '-o', 'sarif']);
    assert.equal(run.status, 1, run.stderr);
    assert.equal(sarifErrors(run.stdout), '');
    const results = reportOf(run).runs[0].results as {
      ruleId: string;
      locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
    }[];
    const root = results.find((r) => r.ruleId === 'run_as_root');
    assert.ok(root);
    assert.match(root.locations[0]!.physicalLocation.artifactLocation.uri, /conftest__examples-docker__Dockerfile$/);
    assert.equal(root.locations[0]!.physicalLocation.region?.startLine, 1);
    const vuln = results.find((r) => r.ruleId === 'vulnerability_severity');
    assert.match(vuln!.locations[0]!.physicalLocation.artifactLocation.uri, /juice-shop-v10\.2\.0\.json$/);
  });

  it('renders every output format', () => {
    for (const output of ['table', 'junit', 'github', 'markdown']) {
      const run = check(['--bundle', bundle, '--report', JUICE_SHOP, '-o', output]);
      assert.equal(run.status, 1, `${output}: ${run.stderr}`);
      assert.ok(run.stdout.length > 1000, output);
    }
    const table = check(['--bundle', bundle, '--report', JUICE_SHOP]).stdout;
    assert.match(table, /^DENY {2}bkimminich\/juice-shop:v10\.2\.0\n\d+ violations, 6 warnings, \d+ exceptions applied, 1 expired exception\n/);
  });

  it('exits 0 on a clean report, and 1 with --fail-on warn when there are warnings', async () => {
    const clean = check(['--bundle', bundle, '--report', CLEAN]);
    assert.equal(clean.status, 0, clean.stderr);
    assert.match(clean.stdout, /^ALLOW/);
    // Only warnings: every rule but the unfixed-vulnerability one switched off.
    const warnOnly = join(scratch, 'warn-only.yaml');
    await writeFile(warnOnly, 'rules:\n  vulnerability_severity: "off"\n');
    const warned = check(['--bundle', bundle, '--report', JUICE_SHOP, '--data', warnOnly, '-o', 'json']);
    assert.equal(warned.status, 0, warned.stderr);
    assert.equal(reportOf(warned).decision, 'allow');
    assert.ok(reportOf(warned).warnings.length > 0);
    assert.equal(check(['--bundle', bundle, '--report', JUICE_SHOP, '--data', warnOnly, '--fail-on', 'warn']).status, 1);
  });

  it('merges --data over the bundle settings', async () => {
    const strict = join(scratch, 'medium.json');
    await writeFile(strict, JSON.stringify({ severity_rank: 3 }));
    const base = reportOf(check(['--bundle', bundle, '--report', JUICE_SHOP, '-o', 'json']));
    const more = reportOf(check(['--bundle', bundle, '--report', JUICE_SHOP, '-o', 'json', '--data', strict]));
    assert.ok(more.violations.length > base.violations.length);
    assert.ok(more.violations.some((v: { severity: string }) => v.severity === 'MEDIUM'));
    assert.equal(more.exceptions.length, base.exceptions.length, 'the exceptions of the bundle settings stay');
  });

  it('checks every shared report fixture end to end without an input or internal error', async () => {
    const reports = (await readdir(join(SHARED, 'reports'))).filter((f) => f.endsWith('.json') || f.endsWith('.json.golden'));
    assert.ok(reports.length >= 14);
    for (const file of reports) {
      const run = check(['--bundle', bundle, '--report', join(SHARED, 'reports', file), '-o', 'json']);
      assert.ok(run.status === 0 || run.status === 1, `${file}: exit ${run.status}: ${run.stderr}`);
      const report = reportOf(run);
      assert.equal(report.decision, run.status === 1 ? 'deny' : 'allow', file);
    }
  });

  it('takes --format, --manifest and --metadata, and names a bad metadata file', async () => {
    const metadata = join(scratch, 'cluster.yaml');
    await writeFile(metadata, 'namespace: shop\nenvironment: prod\ncluster: eu-1\n');
    const manifest = join(SHARED, 'admission/generic-sidecar-injector__admissionreview.json');
    const run = check(['--bundle', bundle, '--report', JUICE_SHOP, '--format', 'trivy', '--manifest', manifest, '--metadata', metadata, '-o', 'json']);
    assert.equal(run.status, 1, run.stderr);
    assert.equal(reportOf(run).decision, 'deny');
    const wrong = check(['--bundle', bundle, '--report', JUICE_SHOP, '--format', 'grype']);
    assert.equal(wrong.status, 2, wrong.stderr);
    await writeFile(metadata, 'namespace: [shop]\n');
    const bad = check(['--bundle', bundle, '--report', CLEAN, '--metadata', metadata]);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /cluster\.yaml/);
  });

  it('uses dist/bundles/image-scan.tar.gz of the working directory by default', async () => {
    const project = await mkdtemp(join(tmpdir(), 'portcullis-check-default-'));
    await mkdir(join(project, 'dist', 'bundles'), { recursive: true });
    await copyFile(bundle, join(project, 'dist', 'bundles', 'image-scan.tar.gz'));
    const run = check(['--report', CLEAN, '--dockerfile', DOCKERFILE, '-o', 'json'], project);
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(
      reportOf(run).violations.map((v: { rule: string }) => v.rule),
      ['run_as_root'],
    );
    if (!existsSync(join(REPO, 'dist', 'bundles', 'image-scan.tar.gz'))) {
      const none = check(['--report', CLEAN], scratch);
      assert.equal(none.status, 2, none.stderr);
      assert.match(none.stderr, /run "npx portcullis build"/);
    }
  });

  it('compiles --policies DIR with the real opa, with the --data settings, else the shipped default settings', () => {
    const args = ['--policies', FIXTURE_POLICIES, '--report', CLEAN, '--dockerfile', DOCKERFILE, '-o', 'json'];
    const run = check([...args, '--data', join(FIXTURE_DIR, 'data', 'settings.yaml')], scratch);
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(
      reportOf(run).violations.map((v: { rule: string }) => v.rule),
      ['run_as_root'],
    );
    assert.doesNotMatch(run.stderr, /default settings/);
    const defaults = check(args, scratch);
    assert.match(
      defaults.stderr,
      /^portcullis: --policies without --data: using the default settings of the image-scan bundle \(examples\/policy\/settings\.yaml/,
    );
  });

  it('exits 2 on usage and input errors, with a message and no stack trace', async () => {
    const bad = join(scratch, 'bad.json');
    await writeFile(bad, '{"SchemaVersion": 2, "Results": [');
    const cases: [string, string[], RegExp][] = [
      ['no inputs', ['--bundle', bundle], /nothing to check/],
      ['unknown output', ['--bundle', bundle, '--report', CLEAN, '-o', 'yaml'], /invalid/],
      ['missing report', ['--bundle', bundle, '--report', join(scratch, 'nope.json')], /nope\.json/],
      ['malformed report', ['--bundle', bundle, '--report', bad], /bad\.json: invalid JSON/],
      ['bad --now', ['--bundle', bundle, '--report', CLEAN, '--now', 'yesterday'], /RFC 3339/],
      ['missing bundle', ['--bundle', join(scratch, 'none.tar.gz'), '--report', CLEAN], /none\.tar\.gz/],
      ['both --bundle and --policies', ['--bundle', bundle, '--policies', FIXTURE_POLICIES, '--report', CLEAN], /exclude each other/],
      ['unknown --format', ['--bundle', bundle, '--report', CLEAN, '--format', 'nessus'], /nessus/],
    ];
    for (const [name, args, message] of cases) {
      const run = check(args);
      assert.equal(run.status, 2, `${name}: ${run.stderr}`);
      assert.match(run.stderr, message, name);
      assert.doesNotMatch(run.stderr, /\n\s+at /, `${name}: no stack trace`);
    }
  });

  it('exits 2 when --policies does not compile, not 1', async () => {
    const dir = join(scratch, 'broken');
    await mkdir(join(dir, 'scan'), { recursive: true });
    await writeFile(join(dir, 'scan', 'decision.rego'), 'package portcullis.scan\n\ndecision if {\n');
    const run = check(['--policies', dir, '--report', CLEAN], scratch);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /decision\.rego/);
  });

  it('exits 3 when the policy breaks its contract', async () => {
    const dir = join(scratch, 'contract');
    await mkdir(join(dir, 'scan'), { recursive: true });
    await writeFile(join(dir, 'scan', 'decision.rego'), 'package portcullis.scan\n\ndecision := {"decision": "maybe"}\n');
    const run = check(['--policies', dir, '--report', CLEAN], scratch);
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /decision/);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { REAL_REPORTS, UPSTREAM_REPORTS } from '../helpers/fixtures.js';
import { buildWithOpa } from '../helpers/opa.js';
import { CLI, REPO } from '../helpers/processes.js';
import { sarifErrors } from '../report/sarif-schema.js';

// The gate as a CI job runs it, with the shipped image-scan policy: per-image
// decisions, input warnings in every output, --strict, --allow-empty, outputs
// the receiving tools accept (JUnit validated by xmllint against Jenkins'
// junit-10.xsd, SARIF against the official schema, GitHub's annotation cap
// and job summary), and errors a user can act on.

const NOW = '2026-11-28T12:00:00Z';
const XSD = join(REPO, 'test/fixtures/junit/junit-10.xsd');
const JUICE = join(REAL_REPORTS, 'secureCodeBox__juice-shop-v10.2.0.json');
const ALPINE = join(REAL_REPORTS, 'trivy__alpine-310.json.golden');
const NULL_SEVERITY = join(REAL_REPORTS, 'django-DefectDojo__anchore_grype__issue_9618.json');
const CLEAN = join(REAL_REPORTS, 'secureCodeBox__juice-shop-v12.10.2-empty-results.json');

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, GITHUB_STEP_SUMMARY: '', ...env },
    maxBuffer: 64 << 20,
  });
}

describe('portcullis check as a gate', () => {
  let bundle: string;
  let scratch: string;
  const check = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => run(['check', '--bundle', bundle, '--now', NOW, ...args], env);

  before(async () => {
    const built = (await buildWithOpa(join(REPO, 'bundles'))).find((r) => r.name === 'image-scan');
    assert.ok(built);
    bundle = built.path;
    scratch = await mkdtemp(join(tmpdir(), 'portcullis-gate-'));
  });

  it('decides two images separately and reports the worst', () => {
    const result = check(['--report', JUICE, '--report', CLEAN, '-o', 'json']);
    assert.equal(result.status, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.decision, 'deny');
    assert.deepEqual(
      report.images.map((i: { target: string; decision: string }) => [i.target, i.decision]),
      [
        ['bkimminich/juice-shop:v10.2.0', 'deny'],
        ['bkimminich/juice-shop:v12.10.2', 'allow'],
      ],
    );
    assert.ok(report.violations.every((v: { image?: string }) => v.image !== 'bkimminich/juice-shop:v12.10.2'));
  });

  it('shows entries it could not read in the table, and --strict turns them into exit 2', () => {
    const table = check(['--report', NULL_SEVERITY]);
    assert.equal(table.status, 1, table.stderr);
    assert.match(table.stdout, /INPUT WARNINGS \(use --strict to fail on them\)/);
    assert.match(table.stdout, /1 SEVERITY_MISSING/);
    assert.match(table.stdout.trimEnd().split('\n').at(-1) ?? '', /^DENY quay\.io\/.*; 1 report entry not fully read$/);
    const strict = check(['--report', NULL_SEVERITY, '--strict']);
    assert.equal(strict.status, 2);
    assert.match(strict.stderr, /--strict: 1 report entries could not be fully read:\n {2}.*issue_9618\.json: 1 SEVERITY_MISSING/);
    assert.equal(strict.stdout, '');
  });

  it('refuses a report that says nothing unless --allow-empty, and foreign SARIF with a pointer to the JSON output', async () => {
    const empty = join(scratch, 'empty.json');
    await writeFile(empty, JSON.stringify({ SchemaVersion: 2, Results: [] }));
    const refused = check(['--report', empty]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /names no scanned target and holds no finding.*--allow-empty/);
    assert.equal(check(['--report', empty, '--allow-empty']).status, 0);
    const sarif = join(scratch, 'codeql.sarif');
    await writeFile(sarif, JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'CodeQL' } }, results: [] }] }));
    const foreign = check(['--report', sarif]);
    assert.equal(foreign.status, 2);
    assert.match(foreign.stderr, /SARIF from CodeQL cannot be read without losing meaning.*trivy --format json, grype -o json/);
  });

  it('writes JUnit that validates against junit-10.xsd with xmllint', async () => {
    const cases = [
      ['--report', JUICE],
      ['--report', NULL_SEVERITY],
      ['--report', JUICE, '--report', CLEAN],
      ['--report', CLEAN],
    ];
    for (const [i, args] of cases.entries()) {
      const result = check([...args, '-o', 'junit']);
      assert.ok(result.status === 0 || result.status === 1, result.stderr);
      const file = join(scratch, `junit-${i}.xml`);
      await writeFile(file, result.stdout);
      const lint = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
      assert.equal(lint.error, undefined, 'xmllint (Debian libxml2-utils) must be installed');
      assert.equal(lint.status, 0, `${args.join(' ')}: ${lint.stderr}`);
    }
  });

  it('writes SARIF code scanning accepts: described rules, relative paths, findings in the image on the report', () => {
    const result = check(['--report', ALPINE, '-o', 'sarif']);
    assert.equal(sarifErrors(result.stdout), '');
    const log = JSON.parse(result.stdout);
    for (const rule of log.runs[0].tool.driver.rules) {
      assert.ok(rule.shortDescription.text && rule.fullDescription.text && rule.help.text, rule.id);
    }
    const vuln = log.runs[0].results.find((r: { properties: { package?: string } }) => r.properties.package !== undefined);
    assert.equal(vuln.locations[0].physicalLocation.artifactLocation.uri, 'test/fixtures/real/reports/trivy__alpine-310.json.golden');
    const base = check(['--report', ALPINE, '-o', 'sarif', '--sarif-base', 'test/fixtures']);
    assert.match(base.stdout, /"uri": "real\/reports\/trivy__alpine-310\.json\.golden"/);
  });

  it('caps GitHub annotations and writes the job summary where GITHUB_STEP_SUMMARY points', async () => {
    const summary = join(scratch, 'summary.md');
    const result = check(['--report', JUICE, '-o', 'github'], { GITHUB_STEP_SUMMARY: summary });
    assert.equal(result.status, 1, result.stderr);
    const lines = result.stdout.split('\n');
    assert.equal(lines.filter((l) => l.startsWith('::error ')).length, 10);
    assert.ok(lines.some((l) => /^portcullis: \d+ more annotations not shown/.test(l)));
    assert.match(await readFile(summary, 'utf8'), /^### portcullis: ❌ \*\*deny\*\* for `bkimminich\/juice-shop:v10\.2\.0`/);
  });

  it('says "is a directory" for a directory given as a file, whichever option names it', () => {
    for (const option of ['--report', '--dockerfile', '--manifest', '--metadata', '--data']) {
      const result = check(['--report', CLEAN, option, UPSTREAM_REPORTS].slice(option === '--report' ? 2 : 0));
      assert.equal(result.status, 2, option);
      assert.match(result.stderr, /is a directory/, `${option}: ${result.stderr}`);
    }
    const bundleDir = run(['check', '--bundle', UPSTREAM_REPORTS, '--report', CLEAN]);
    assert.match(bundleDir.stderr, /is a directory/);
  });
});

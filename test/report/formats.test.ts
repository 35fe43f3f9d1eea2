import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError } from '../../src/core/index.js';
import { formats, getFormatter, getOutputFormat, toJsonReport } from '../../src/report/index.js';
import { REPO } from '../helpers/processes.js';
import { GOLDEN_EXTENSIONS } from './golden-files.js';
import { ALLOW, SAMPLE, SAMPLE_CONTEXT } from './sample.js';
import { sarifErrors } from './sarif-schema.js';

const render = (name: string, decision = SAMPLE) => getFormatter(name)(decision, SAMPLE_CONTEXT);

describe('report formats', () => {
  it('registers every format the CLI offers, each with a description', () => {
    assert.deepEqual(
      formats.map((f) => f.name),
      ['table', 'json', 'sarif', 'junit', 'github', 'markdown'],
    );
    for (const f of formats) assert.ok(f.description.length > 10 && f.mediaType.length > 0, f.name);
    assert.throws(
      () => getOutputFormat('yaml'),
      (err: unknown) => err instanceof AppError && err.code === 'USAGE',
    );
  });

  it('matches the golden file of each format (npm run golden:report regenerates them)', () => {
    for (const f of formats) {
      const golden = readFileSync(`${REPO}test/golden/report/sample.${GOLDEN_EXTENSIONS[f.name]}`, 'utf8');
      assert.equal(f.format(SAMPLE, SAMPLE_CONTEXT), golden, `${f.name} differs from its golden file`);
    }
  });

  it('is pure: the same decision renders the same text, whatever the order of its lists', () => {
    const shuffled = { ...SAMPLE, violations: [...SAMPLE.violations].reverse() };
    for (const f of formats) assert.equal(f.format(shuffled, SAMPLE_CONTEXT), f.format(SAMPLE, SAMPLE_CONTEXT), f.name);
  });
});

describe('table', () => {
  it('leads with the verdict and counts, groups by rule, worst rule first', () => {
    const text = render('table');
    assert.match(text, /^DENY {2}registry\.example\.com\/shop\/web:1\.4\.2\n2 violations, 1 warning, 1 exception applied, 1 expired exception\n/);
    assert.ok(text.indexOf('vulnerability_severity: 1 finding (1 CRITICAL)') < text.indexOf('run_as_root: 1 finding (1 HIGH)'));
    assert.match(text, /CRITICAL {2}CVE-2021-44906 {2}minimist {2}1\.2\.5 {6}1\.2\.6/);
    assert.match(text, /HIGH {6}Dockerfile:7 {2}the final stage runs as root/);
    assert.match(text, /EXPIRED EXCEPTIONS/);
  });

  it('says allow and nothing else for a clean decision', () => {
    assert.equal(render('table', ALLOW), `ALLOW  ${SAMPLE_CONTEXT.target}\n0 violations, 0 warnings, 0 exceptions applied\n`);
  });
});

describe('json', () => {
  it('wraps the decision in a stable envelope where every finding has every key', () => {
    const report = JSON.parse(render('json'));
    assert.deepEqual(Object.keys(report), [
      'format_version',
      'decision',
      'target',
      'checked_at',
      'tool',
      'summary',
      'violations',
      'warnings',
      'exceptions',
      'expired_exceptions',
    ]);
    assert.equal(report.decision, 'deny');
    assert.deepEqual(report.summary, {
      violations: 2,
      warnings: 1,
      exceptions: 1,
      expired_exceptions: 1,
      violations_by_severity: { CRITICAL: 1, HIGH: 1 },
      warnings_by_severity: { HIGH: 1 },
    });
    assert.deepEqual(report.violations[0], {
      rule: 'vulnerability_severity',
      severity: 'CRITICAL',
      enforcement: 'deny',
      message: 'CVE-2021-44906 in minimist 1.2.5 is CRITICAL; fixed in 1.2.6',
      title: 'Fixable vulnerability at or above the severity threshold',
      practice: 'Deny fixable HIGH and CRITICAL vulnerabilities in production',
      image: 'registry.example.com/shop/web:1.4.2',
      id: 'CVE-2021-44906',
      package: 'minimist',
      installed_version: '1.2.5',
      fixed_version: '1.2.6',
      location: null,
    });
    assert.deepEqual(report.violations[1].location, { file: 'Dockerfile', line: 7 });
    assert.equal(report.warnings[0].fixed_version, null);
    assert.equal(report.exceptions[0].finding.id, 'CVE-2020-8203');
    assert.deepEqual(toJsonReport(SAMPLE, SAMPLE_CONTEXT), report);
  });
});

describe('sarif', () => {
  it('is valid SARIF 2.1.0 against the official schema, also for an empty decision', () => {
    assert.equal(sarifErrors(render('sarif')), '');
    assert.equal(sarifErrors(render('sarif', ALLOW)), '');
    assert.notEqual(sarifErrors('{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"level":"fatal","message":{"text":"m"}}]}]}'), '');
  });

  it('has one run, rules from the findings, levels by enforcement, and Dockerfile lines', () => {
    const log = JSON.parse(render('sarif'));
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 1);
    const run = log.runs[0];
    assert.deepEqual(
      run.tool.driver.rules.map((r: { id: string }) => r.id),
      ['vulnerability_severity', 'run_as_root', 'unfixed_vulnerability'],
    );
    assert.equal(run.tool.driver.rules[0].properties['security-severity'], '9.0');
    const byRule = (id: string) => run.results.filter((r: { ruleId: string }) => r.ruleId === id);
    assert.equal(byRule('run_as_root')[0].level, 'error');
    assert.deepEqual(byRule('run_as_root')[0].locations[0].physicalLocation, { artifactLocation: { uri: 'Dockerfile' }, region: { startLine: 7 } });
    assert.deepEqual(byRule('unfixed_vulnerability')[0].locations[0].physicalLocation, {
      artifactLocation: { uri: 'reports/trivy.json' },
      region: { startLine: 1 },
    });
    assert.equal(byRule('unfixed_vulnerability')[0].level, 'warning');
    for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex].id, r.ruleId);
    const suppressed = byRule('vulnerability_severity').find((r: { suppressions?: unknown }) => r.suppressions);
    assert.deepEqual(suppressed.suppressions, [
      { kind: 'external', status: 'accepted', justification: 'not reachable from request handlers (expires 2099-12-31)' },
    ]);
    assert.equal(run.invocations[0].toolConfigurationNotifications.length, 1);
  });
});

describe('junit', () => {
  it('fails violations, passes warnings with output, skips excepted findings', () => {
    const xml = render('junit');
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="portcullis" tests="4" failures="2" errors="0" skipped="1">/);
    assert.match(xml, /<testsuite name="registry\.example\.com\/shop\/web:1\.4\.2" tests="4" failures="2"/);
    assert.match(xml, /<failure message="CVE-2021-44906 in minimist 1\.2\.5 is CRITICAL; fixed in 1\.2\.6" type="CRITICAL">/);
    assert.match(xml, /<system-out>WARN: GHSA-x\|y &lt;b&gt;100%&lt;\/b&gt; "quoted"\nsecond line/);
    assert.match(xml, /<skipped message="exception: not reachable from request handlers \(expires 2099-12-31\)"\/>/);
  });

  it('makes a suite per image and keeps one passing case when nothing fired', () => {
    const other = { ...SAMPLE.violations[1]!, image: 'other/image:2' };
    const xml = getFormatter('junit')({ ...SAMPLE, violations: [...SAMPLE.violations, other] }, SAMPLE_CONTEXT);
    assert.match(xml, /<testsuite name="other\/image:2" tests="1" failures="1"/);
    assert.match(render('junit', ALLOW), /<testcase classname="decision" name="allow: 0 violations, 0 warnings, 0 exceptions applied"\/>/);
  });
});

describe('github', () => {
  it('annotates findings on their file and line, escaping workflow-command syntax', () => {
    const lines = render('github').split('\n');
    assert.equal(lines[0], '::group::portcullis deny: registry.example.com/shop/web:1.4.2 (2 violations, 1 warning, 1 exception applied, 1 expired exception)');
    assert.ok(lines.includes('::error file=Dockerfile,line=7,title=run_as_root (HIGH)::the final stage runs as root: add a USER with a non-zero UID'));
    assert.ok(lines.includes('::warning file=reports/trivy.json,title=unfixed_vulnerability (HIGH)::GHSA-x|y <b>100%25</b> "quoted"%0Asecond line'));
    assert.ok(lines.includes('::endgroup::'));
  });
});

describe('markdown', () => {
  it('has a summary table and collapsible details, with report text escaped', () => {
    const md = render('markdown');
    assert.match(md, /^### portcullis: ❌ \*\*deny\*\* for `registry\.example\.com\/shop\/web:1\.4\.2`\n\n\| \| Count \|/);
    assert.match(md, /\| Violations \| 2 \|/);
    assert.match(md, /<details><summary>Violations \(2\)<\/summary>/);
    assert.match(md, /GHSA-x\\\|y &lt;b&gt;100%&lt;\/b&gt; "quoted" second line/);
    assert.doesNotMatch(md, /<b>/);
    assert.match(render('markdown', ALLOW), /✅ \*\*allow\*\*/);
  });
});

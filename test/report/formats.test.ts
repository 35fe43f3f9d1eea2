import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError } from '../../src/core/index.js';
import { formats, getFormatter, getOutputFormat, toJsonReport, type Decision, type ReportContext } from '../../src/report/index.js';
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

  it('says allow and the counts for a clean decision, and ends with a one-line verdict', () => {
    const clean = getFormatter('table')(ALLOW, { ...SAMPLE_CONTEXT, inputWarnings: [] });
    assert.equal(
      clean,
      `ALLOW  ${SAMPLE_CONTEXT.target}\n0 violations, 0 warnings, 0 exceptions applied\n\nALLOW ${SAMPLE_CONTEXT.target}: 0 violations, 0 warnings, 0 exceptions applied\n`,
    );
    const lines = render('table').trimEnd().split('\n');
    assert.equal(
      lines.at(-1),
      'DENY registry.example.com/shop/web:1.4.2: 2 violations, 1 warning, 1 exception applied, 1 expired exception; 2 report entries not fully read',
    );
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
      'images',
      'input_warnings',
    ]);
    assert.equal(report.decision, 'deny');
    assert.deepEqual(report.summary, {
      violations: 2,
      warnings: 1,
      exceptions: 1,
      expired_exceptions: 1,
      violations_by_severity: { CRITICAL: 1, HIGH: 1 },
      warnings_by_severity: { HIGH: 1 },
      images: 1,
      input_warnings: 2,
    });
    assert.deepEqual(
      report.input_warnings.map((r: { file: string; count: number; by_code: unknown }) => [r.file, r.count, r.by_code]),
      [['reports/trivy.json', 2, { SEVERITY_MISSING: 1, STATUS_UNKNOWN: 1 }]],
    );
    assert.equal(report.images[0].target, SAMPLE_CONTEXT.target);
    assert.deepEqual(report.images[0].violations, report.violations);
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
    assert.deepEqual(
      run.invocations[0].toolExecutionNotifications.map((n: { descriptor: { id: string }; properties: { path: string } }) => [
        n.descriptor.id,
        n.properties.path,
      ]),
      [
        ['SEVERITY_MISSING', '/Results/1/Vulnerabilities/3'],
        ['STATUS_UNKNOWN', '/Results/1/Vulnerabilities/9'],
      ],
    );
  });

  it('describes every rule (short, full, help) from the policy METADATA, with paths relative and the in-image path as a property', () => {
    const key = '["registry.example.com/shop/web:1.4.2","CVE-2021-44906","minimist","1.2.5"]';
    const log = JSON.parse(
      getFormatter('sarif')(SAMPLE, {
        ...SAMPLE_CONTEXT,
        rules: { run_as_root: { title: 'Container runs as root', description: 'The image runs as root.', practice: 'Run as non-root' } },
        paths: { Dockerfile: 'app/Dockerfile' },
        packagePaths: { [key]: 'app/node_modules/minimist/package.json' },
      }),
    );
    const rules = log.runs[0].tool.driver.rules;
    for (const r of rules) assert.ok(r.shortDescription.text && r.fullDescription.text && r.help.text && r.help.markdown, r.id);
    const root = rules.find((r: { id: string }) => r.id === 'run_as_root');
    assert.equal(root.shortDescription.text, 'Container runs as root');
    assert.equal(root.fullDescription.text, 'The image runs as root.');
    assert.equal(root.help.markdown, 'The image runs as root.\n\n**Practice:** Run as non-root\n\n**Rule:** run_as_root');
    const results = log.runs[0].results;
    assert.equal(results.find((r: { ruleId: string }) => r.ruleId === 'run_as_root').locations[0].physicalLocation.artifactLocation.uri, 'app/Dockerfile');
    const vuln = results.find((r: { properties: { id?: string } }) => r.properties.id === 'CVE-2021-44906');
    assert.equal(vuln.properties.path_in_image, 'app/node_modules/minimist/package.json');
    assert.equal(vuln.locations[0].physicalLocation.artifactLocation.uri, 'reports/trivy.json');
  });
});

describe('junit', () => {
  it('fails violations, passes warnings with output, skips excepted findings', () => {
    const xml = render('junit');
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="portcullis" tests="5" failures="2" errors="0">/);
    assert.match(xml, /<testsuite name="registry\.example\.com\/shop\/web:1\.4\.2" tests="5" failures="2"/);
    assert.match(
      xml,
      /<testcase classname="input" name="reports\/trivy\.json: 2 entries not fully read">\n {6}<system-out>1 SEVERITY_MISSING, 1 STATUS_UNKNOWN\n/,
    );
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
    assert.equal(
      lines[0],
      '::error file=reports/trivy.json,title=vulnerability_severity (CRITICAL)::CVE-2021-44906 in minimist 1.2.5 is CRITICAL; fixed in 1.2.6',
    );
    assert.ok(lines.includes('::error file=Dockerfile,line=7,title=run_as_root (HIGH)::the final stage runs as root: add a USER with a non-zero UID'));
    assert.ok(lines.includes('::warning file=reports/trivy.json,title=unfixed_vulnerability (HIGH)::GHSA-x|y <b>100%25</b> "quoted"%0Asecond line'));
    assert.ok(lines.includes('::warning file=reports/trivy.json,title=portcullis%3A 2 entries not fully read::1 SEVERITY_MISSING, 1 STATUS_UNKNOWN'));
    assert.ok(
      lines.includes('::group::portcullis deny: registry.example.com/shop/web:1.4.2 (2 violations, 1 warning, 1 exception applied, 1 expired exception)'),
    );
    assert.ok(lines.includes('::endgroup::'));
  });

  it('annotates at most what GitHub shows per step (10 errors, 10 warnings) and counts the rest in one line', () => {
    const many = (n: number, enforcement: 'deny' | 'warn') =>
      Array.from({ length: n }, (_, i) => ({ rule: 'r', severity: 'HIGH' as const, enforcement, message: `m${String(i).padStart(2, '0')}` }));
    const decision = { ...ALLOW, decision: 'deny' as const, violations: many(14, 'deny'), warnings: many(12, 'warn') };
    const lines = getFormatter('github')(decision, { ...SAMPLE_CONTEXT, inputWarnings: [] }).split('\n');
    assert.equal(lines.filter((l) => l.startsWith('::error ')).length, 10);
    assert.equal(lines.filter((l) => l.startsWith('::warning ')).length, 10);
    assert.ok(lines.includes('portcullis: 6 more annotations not shown (GitHub shows 10 errors and 10 warnings per step); all are listed below'));
    assert.equal(lines.filter((l) => /^(error|warning) r \(HIGH\): m\d\d$/.test(l)).length, 26, 'the log group lists every finding');
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
    assert.match(md, /> \[!WARNING\]\n> A report was not fully read/);
    assert.match(md, /\| `reports\/trivy\.json` \| trivy \| 2 \| 1 SEVERITY_MISSING, 1 STATUS_UNKNOWN \|/);
  });
});

describe('several images', () => {
  const other: Decision = {
    ...ALLOW,
    warnings: [{ rule: 'mutable_tag', severity: 'MEDIUM', enforcement: 'warn', message: 'tag latest', image: 'other/app:latest' }],
  };
  const context: ReportContext = {
    ...SAMPLE_CONTEXT,
    target: '2 images: registry.example.com/shop/web:1.4.2, other/app:latest',
    artifacts: ['reports/trivy.json', 'reports/other.json'],
    images: [
      { target: 'registry.example.com/shop/web:1.4.2', decision: SAMPLE, reports: ['reports/trivy.json'] },
      { target: 'other/app:latest', decision: other, reports: ['reports/other.json'] },
    ],
  };
  const merged = { ...SAMPLE, warnings: [...SAMPLE.warnings, ...other.warnings] };

  it('json keeps the overall decision on top and each image under images[]', () => {
    const report = toJsonReport(merged, context);
    assert.equal(report.decision, 'deny');
    assert.deepEqual(
      report.images.map((i) => [i.target, i.decision, i.summary.violations, i.summary.warnings]),
      [
        ['registry.example.com/shop/web:1.4.2', 'deny', 2, 1],
        ['other/app:latest', 'allow', 0, 1],
      ],
    );
  });

  it('table lists each image with its own verdict; findings inside an image point at its report', () => {
    assert.match(
      getFormatter('table')(merged, context),
      /IMAGES \(each decided on its own findings\)\n.*\n.*\n {2}DENY {6}registry\.example\.com\/shop\/web:1\.4\.2 .*\n {2}ALLOW {5}other\/app:latest/,
    );
    const log = JSON.parse(getFormatter('sarif')(merged, context));
    const tag = log.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'mutable_tag');
    assert.equal(tag.locations[0].physicalLocation.artifactLocation.uri, 'reports/other.json');
  });
});

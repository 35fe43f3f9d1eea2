import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '../../src/core/index.js';
import { detectReportFormat, normalize, normalizeByImage, type NormalizedInput } from '../../src/inputs/index.js';
import { UPSTREAM_REPORTS } from '../helpers/fixtures.js';
import { bytes, normalizeReport, NOW, reportFile, trivyVuln } from './synthetic.js';

// Every variant of issue 11, section 1: real upstream files where one exists
// (test/fixtures/upstream), otherwise clearly synthetic inputs built from the
// scanners' Go structs.

const upstream = (name: string): NormalizedInput => normalize({ reports: [{ path: name, bytes: readFileSync(join(UPSTREAM_REPORTS, name)) }], now: NOW });
const codeOf = (code: string) => (err: unknown) => err instanceof AppError && err.code === code;

const resource = (kind: string, name: string, results: unknown[], extra: Record<string, unknown> = {}) => ({
  Namespace: 'default',
  Kind: kind,
  Name: name,
  Results: results,
  ...extra,
});
const osResult = (image: string, vulns: unknown[]) => ({ Target: `${image} (debian 10.4)`, Class: 'os-pkgs', Type: 'debian', Vulnerabilities: vulns });
const ksv = { Type: 'Kubernetes Security Check', ID: 'KSV012', Title: 'Runs as root user', Severity: 'MEDIUM', Status: 'FAIL' };

describe('trivy k8s, every layout (pkg/k8s/report)', () => {
  it('before 0.42: ClusterName with Vulnerabilities and Misconfigurations lists of resources', () => {
    const doc = {
      ClusterName: 'arn:aws:eks:us-east-1:1:cluster/test',
      Vulnerabilities: [
        resource('Deployment', 'redis-leader', [osResult('docker.io/redis:6.0.5', [trivyVuln('CVE-2020-27350', { FixedVersion: '1.8.2.2' })])]),
      ],
      Misconfigurations: [
        resource('Deployment', 'redis-leader', [{ Target: 'Deployment/redis-leader', Class: 'config', Type: 'kubernetes', Misconfigurations: [ksv] }]),
      ],
    };
    assert.equal(detectReportFormat(doc), 'trivy-k8s');
    const input = normalizeReport(doc);
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.fix_available, v.resource?.name]),
      [['CVE-2020-27350', true, 'redis-leader']],
    );
    assert.deepEqual(
      input.misconfigurations.map((m) => [m.id, m.target]),
      [['KSV012', 'Deployment/redis-leader']],
    );
    assert.equal(input.image.name, 'docker.io/library/redis');
    assert.equal(input.reports[0]?.format_version, 'legacy');
  });

  it('0.42 and later (Resources) and the consolidated summary (Findings) read alike; an unscanned resource is a warning', () => {
    const results = [osResult('docker.io/redis:6.0.5', [trivyVuln('CVE-1')])];
    for (const list of ['Resources', 'Findings']) {
      const input = normalizeReport({
        ClusterName: 'c',
        [list]: [resource('Pod', 'a', results), resource('Pod', 'b', [], { Error: 'unable to pull image\ndetails' })],
      });
      assert.equal(input.vulnerabilities.length, 1, list);
      assert.deepEqual(
        input.reports[0]?.warnings.map((w) => [w.code, w.path, w.message]),
        [['RESOURCE_NOT_SCANNED', `/${list}/1/Error`, 'Trivy could not scan default/Pod/b: unable to pull image']],
      );
    }
  });

  it('a summary of counts only (SummaryControls) is REPORT_UNSUPPORTED, never a clean report', () => {
    const summary = { ClusterName: 'c', SummaryControls: [{ ID: '1.1', Name: 'x', Severity: 'HIGH', TotalFail: 3 }] };
    assert.throws(
      () => normalizeReport(summary),
      (err: unknown) => codeOf('REPORT_UNSUPPORTED')(err) && /--report all/.test((err as Error).message),
    );
  });

  it('a cluster name with nothing else is REPORT_EMPTY', () => {
    assert.throws(() => normalizeReport({ ClusterName: 'c' }), codeOf('REPORT_EMPTY'));
  });
});

describe('legacy Grype (up to ~0.12)', () => {
  it('reads the fix from fixedInVersion (and fixed-in-version), CVSS from cvssV3/cvss-v2, path-only locations', () => {
    const match = (id: string, vulnerability: Record<string, unknown>, locations: unknown[]) => ({
      vulnerability: { id, severity: 'High', ...vulnerability },
      matchDetails: { matcher: 'dpkg-matcher' },
      artifact: { name: 'openssl', version: '1.1.1d-0', type: 'deb', locations },
    });
    const input = normalizeReport({
      matches: [
        match('CVE-1', { fixedInVersion: '1.1.1g-1', cvssV3: { baseScore: 7.5 } }, [{ path: '/var/lib/dpkg/status' }]),
        match('CVE-2', { 'fixed-in-version': '1.1.1h-1', 'cvss-v2': { 'base-score': 5 } }, ['/var/lib/dpkg/status']),
        match('CVE-3', {}, []),
      ],
      source: { type: 'image', target: { userInput: 'debian:10' } },
      descriptor: { name: 'grype', version: '0.7.0' },
    });
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.fixed_versions, v.status, v.fix_available, v.cvss_score, v.package.path]),
      [
        ['CVE-1', ['1.1.1g-1'], 'fixed', true, 7.5, '/var/lib/dpkg/status'],
        ['CVE-2', ['1.1.1h-1'], 'fixed', true, 5, '/var/lib/dpkg/status'],
        ['CVE-3', [], 'affected', false, null, null],
      ],
    );
    assert.equal(input.reports[0]?.format_version, 'legacy');
  });
});

describe('CycloneDX VEX and XML', () => {
  it('the specification example (JSON): not_affected stays not_affected despite will_not_fix; recommendation is no version', () => {
    const input = upstream('DefectDojo__cyclonedx__valid-vulnerability-1.4.json');
    // Its affects.ref (@2.9.9) names no component of the BOM (which lists @2.9.4): nothing to decide on, and it says so.
    assert.equal(input.vulnerabilities.length, 0);
    assert.equal(input.packages.length, 1);
    assert.deepEqual(
      input.reports[0]?.warnings.map((w) => w.code),
      ['AFFECTED_COMPONENT_UNKNOWN'],
    );
  });

  it('the specification example (XML 1.4) reads into the same model', () => {
    const input = upstream('DefectDojo__cyclonedx__valid-vulnerability-1.4.xml');
    assert.equal(input.reports[0]?.format, 'cyclonedx');
    assert.equal(input.reports[0]?.format_version, '1.4');
    const [v] = input.vulnerabilities;
    assert.deepEqual(
      [v?.id, v?.status, v?.fix_available, v?.fixed_versions, v?.severity, v?.cvss_score, v?.package.name, v?.package.version, v?.aliases],
      ['SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111', 'not_affected', false, [], 'CRITICAL', 9.8, 'jackson-databind', '2.9.4', ['CVE-2018-7489']],
    );
    assert.deepEqual(input.reports[0]?.warnings, [], 'a not_affected vulnerability needs no fix');
  });

  it('XML 1.2 with the vulnerability extension (as Grype 0.7 wrote it), and 1.6 with tools as components', () => {
    const v12 = `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.2" xmlns:v="http://cyclonedx.org/schema/ext/vulnerability/1.0" version="1">
  <metadata><tools><tool><vendor>anchore</vendor><name>grype</name><version>0.7.0</version></tool></tools>
    <component type="container"><name>synthetic/app:1.0</name><version>sha256:${'a'.repeat(64)}</version></component></metadata>
  <components><component type="library"><name>bash</name><version>5.0-4</version>
    <v:vulnerabilities><v:vulnerability ref="urn:uuid:1"><v:id>CVE-2019-18276</v:id><v:source name="debian:10"><v:url>http://x</v:url></v:source>
      <v:ratings><v:rating><v:score><v:base>7.2</v:base></v:score><v:severity>High</v:severity><v:method>CVSSv2</v:method></v:rating></v:ratings>
      <v:recommendations><v:recommendation>Upgrade bash to 5.1</v:recommendation></v:recommendations></v:vulnerability></v:vulnerabilities>
  </component></components></bom>`;
    const input = normalizeReport(v12);
    assert.deepEqual(input.reports[0]?.scanner, { name: 'grype', version: '0.7.0' });
    assert.equal(input.image.digest, `sha256:${'a'.repeat(64)}`);
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.package.name, v.severity, v.cvss_score, v.fixed_versions]),
      [['CVE-2019-18276', 'bash', 'HIGH', 7.2, []]],
    );
    assert.deepEqual(
      input.reports[0]?.warnings.map((w) => w.code),
      ['FIX_UNREADABLE'],
    );
    const v16 = `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><metadata><tools><components><component type="application"><name>trivy</name><version>0.60.0</version></component></components></tools>
      <component type="container" bom-ref="img"><name>shop:2</name></component></metadata>
      <components><component type="library" bom-ref="pkg:npm/a@1"><name>a</name><version>1</version><purl>pkg:npm/a@1</purl></component></components>
      <vulnerabilities><vulnerability><id>CVE-9</id><ratings><rating><severity>medium</severity></rating></ratings>
        <affects><target><ref>pkg:npm/a@1</ref><versions><version><version>2</version><status>unaffected</status></version></versions></target></affects></vulnerability></vulnerabilities></bom>`;
    const six = normalizeReport(v16);
    assert.deepEqual(six.reports[0]?.scanner, { name: 'trivy', version: '0.60.0' });
    assert.deepEqual(
      six.vulnerabilities.map((v) => [v.id, v.fixed_versions, v.fix_available, v.severity]),
      [['CVE-9', ['2'], true, 'MEDIUM']],
    );
  });

  it('XML is read safely: no DOCTYPE or entities, nesting bounded, the root must be a CycloneDX bom', () => {
    const bomns = 'xmlns="http://cyclonedx.org/schema/bom/1.5"';
    assert.throws(() => normalizeReport(`<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x "y">]><bom ${bomns}>&x;</bom>`), codeOf('INPUT_INVALID'));
    assert.throws(() => normalizeReport(`<bom ${bomns}>${'<a>'.repeat(200)}${'</a>'.repeat(200)}</bom>`), codeOf('INPUT_INVALID'));
    assert.throws(() => normalizeReport('<project xmlns="http://maven.apache.org/POM/4.0.0"/>'), codeOf('INPUT_INVALID'));
    assert.throws(() => normalizeReport(`<bom ${bomns}><components>`), codeOf('INPUT_INVALID'));
  });
});

describe('legacy Trivy arrays (before 0.19)', () => {
  it('names the image from the OS result, never the first lockfile (legacy_trivy_mix.json)', () => {
    const input = upstream('DefectDojo__trivy__legacy_trivy_mix.json');
    assert.equal(input.image.ref, 'trivy-ci-test');
    assert.equal(input.vulnerabilities.length, 6);
    assert.deepEqual(
      input.reports[0]?.warnings.map((w) => [w.code, w.path]),
      [['VULNERABILITY_WITHOUT_ID', '/0/Vulnerabilities/0']],
    );
  });
});

describe('Trivy Operator reports', () => {
  const labels = (kind: string, name: string) => ({
    'trivy-operator.resource.kind': kind,
    'trivy-operator.resource.name': name,
    'trivy-operator.resource.namespace': 'shop',
  });
  const crd = (kind: string, report: Record<string, unknown>, name = 'api') => ({
    apiVersion: 'aquasecurity.github.io/v1alpha1',
    kind,
    metadata: { name: `replicaset-${name}`, namespace: 'shop', labels: labels('ReplicaSet', name) },
    report: { scanner: { name: 'Trivy', version: '0.50.0' }, ...report },
  });
  const secretReport = crd('ExposedSecretReport', {
    registry: { server: 'ghcr.io' },
    artifact: { repository: 'acme/api', tag: '1.0' },
    summary: { criticalCount: 1, highCount: 0, mediumCount: 0, lowCount: 0 },
    secrets: [{ target: '/app/.env', ruleID: 'aws-access-key-id', title: 'AWS Access Key ID', category: 'AWS', severity: 'CRITICAL', match: 'AKIA****' }],
  });

  it('ConfigAuditReport (real file): failed checks are misconfigurations of the workload', () => {
    const input = upstream('DefectDojo__trivy_operator__configauditreport_single_vuln.json');
    assert.deepEqual(
      input.misconfigurations.map((m) => [m.id, m.severity, m.status, m.target, m.title]),
      [['KSV014', 'LOW', 'FAIL', 'ReplicaSet/nginx-deployment-965685897', 'Root file system is not read-only']],
    );
  });

  it('ExposedSecretReport: secrets of the image; a summary counting more than is listed is a warning', () => {
    const input = normalizeReport(secretReport);
    assert.deepEqual(
      input.secrets.map((s) => [s.rule_id, s.severity, s.target]),
      [['aws-access-key-id', 'CRITICAL', '/app/.env']],
    );
    assert.equal(input.image.name, 'ghcr.io/acme/api');
    const short = normalizeReport({ ...secretReport, report: { ...secretReport.report, secrets: [] } });
    assert.deepEqual(
      short.reports[0]?.warnings.map((w) => w.code),
      ['SUMMARY_MISMATCH'],
    );
  });

  it('cluster-scoped kinds, a List mixing kinds, and a bare JSON array of reports', () => {
    const audit = crd(
      'ClusterRbacAssessmentReport',
      { checks: [{ checkID: 'KSV041', severity: 'CRITICAL', success: false, messages: ['manages secrets'] }] },
      'admin',
    );
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [audit, secretReport, { apiVersion: 'aquasecurity.github.io/v1alpha1', kind: 'SbomReport', report: {} }],
    };
    for (const doc of [list, [audit, secretReport]]) {
      assert.equal(detectReportFormat(doc), 'trivy-operator');
      const input = normalizeReport(doc);
      assert.deepEqual(
        input.misconfigurations.map((m) => [m.id, m.severity, m.message]),
        [['KSV041', 'CRITICAL', 'manages secrets']],
      );
      assert.equal(input.secrets.length, 1);
    }
    assert.deepEqual(
      normalizeReport(list).reports[0]?.warnings.map((w) => [w.code, w.path]),
      [['REPORT_KIND_SKIPPED', '/items/2']],
    );
  });
});

describe('SARIF: Trivy and Grype only', () => {
  it("Grype's SARIF (real file): vulnerability, package, versions and severity from the rule's help", () => {
    const input = upstream('anchore-grype__TestSarifPresenter_image.golden');
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.package.name, v.installed_version, v.fixed_versions, v.severity, v.package.type]),
      [
        ['CVE-1999-0001', 'package-1', '1.1.1', ['the-next-version'], 'LOW', 'rpm'],
        ['CVE-1999-0002', 'package-2', '2.2.2', [], 'CRITICAL', 'deb'],
      ],
    );
  });

  it("refuses another tool's SARIF, or SARIF without severities, naming the JSON output to use", () => {
    const run = (driver: string, results: unknown[]) => ({
      version: '2.1.0',
      runs: [{ tool: { driver: { name: driver, rules: [{ id: 'R1', name: 'OsPackageVulnerability' }] } }, results }],
    });
    assert.throws(
      () => normalizeReport(run('CodeQL', [])),
      (err: unknown) => codeOf('REPORT_UNSUPPORTED')(err) && /trivy --format json/.test((err as Error).message),
    );
    const noSeverity = { ruleId: 'R1', ruleIndex: 0, message: { text: 'Package: a\nInstalled Version: 1' } };
    assert.throws(
      () => normalizeReport(run('Trivy', [noSeverity])),
      (err: unknown) => codeOf('REPORT_UNSUPPORTED')(err) && /no severity/.test((err as Error).message),
    );
  });
});

describe('duplicates', () => {
  it('merge only for the same package at the same place: Target counts where PkgPath is absent', () => {
    const lodash = trivyVuln('CVE-2', { PkgName: 'lodash', InstalledVersion: '4.17.4' });
    const input = normalizeReport({
      SchemaVersion: 2,
      ArtifactName: 'repo',
      Results: [
        { Target: 'a/package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: [lodash, lodash] },
        { Target: 'b/package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: [lodash] },
      ],
    });
    assert.deepEqual(
      input.vulnerabilities.map((v) => v.target),
      ['a/package-lock.json', 'b/package-lock.json'],
    );
  });
});

describe('several reports', () => {
  const trivyOf = (image: string, id: string) => ({
    SchemaVersion: 2,
    ArtifactName: image,
    Results: [{ Target: `${image} (alpine 3.19.0)`, Class: 'os-pkgs', Type: 'alpine', Vulnerabilities: [trivyVuln(id)] }],
  });
  const grypeOf = (image: string, id: string) => ({
    matches: [{ vulnerability: { id, severity: 'High' }, artifact: { name: 'zlib', version: '1', type: 'apk' } }],
    source: { type: 'image', target: { userInput: image } },
  });

  it('of different images are kept apart; reports of one image are merged; Dockerfile and metadata apply to each', () => {
    const inputs = normalizeByImage({
      reports: [
        reportFile(trivyOf('shop/api:1.0', 'CVE-A'), 'a.json'),
        reportFile(trivyOf('shop/web:2.0', 'CVE-W'), 'w.json'),
        reportFile(grypeOf('shop/api:1.0', 'CVE-G'), 'g.json'),
      ],
      dockerfile: { path: 'Dockerfile', bytes: bytes('FROM alpine:3.19\n') },
      metadata: { path: 'meta.yaml', bytes: bytes('environment: prod\n') },
      now: NOW,
    });
    assert.deepEqual(
      inputs.map((i) => [i.image.ref, i.vulnerabilities.map((v) => v.id), i.reports.map((r) => r.file), i.dockerfile?.path, i.metadata.environment]),
      [
        ['shop/api:1.0', ['CVE-A', 'CVE-G'], ['a.json', 'g.json'], 'Dockerfile', 'prod'],
        ['shop/web:2.0', ['CVE-W'], ['w.json'], 'Dockerfile', 'prod'],
      ],
    );
  });

  it('a report naming no image joins the only image, or is a subject of its own beside several', () => {
    const fs = { SchemaVersion: 2, ArtifactName: '.', ArtifactType: 'filesystem', Results: [] };
    const one = normalizeByImage({ reports: [reportFile(trivyOf('shop/api:1.0', 'CVE-A'), 'a.json'), reportFile(fs, 'fs.json')], now: NOW });
    assert.deepEqual(
      one.map((i) => i.reports.map((r) => r.file)),
      [['a.json', 'fs.json']],
    );
    const two = normalizeByImage({
      reports: [reportFile(trivyOf('shop/api:1.0', 'CVE-A'), 'a.json'), reportFile(trivyOf('shop/web:2.0', 'CVE-W'), 'w.json'), reportFile(fs, 'fs.json')],
      now: NOW,
    });
    assert.deepEqual(
      two.map((i) => [i.image.ref, i.reports.map((r) => r.file)]),
      [
        ['shop/api:1.0', ['a.json']],
        ['shop/web:2.0', ['w.json']],
        [null, ['fs.json']],
      ],
    );
  });
});

describe('image facts a policy cannot use', () => {
  it('an image size no image has (beyond 2^53, negative, fractional) is null, not a number that breaks integer formatting', () => {
    for (const Size of [1e308, -5, 12.5]) assert.equal(normalizeReport({ SchemaVersion: 2, ArtifactName: 'a:1', Metadata: { Size } }).image.size_bytes, null);
    assert.equal(normalizeReport({ SchemaVersion: 2, ArtifactName: 'a:1', Metadata: { Size: 4096 } }).image.size_bytes, 4096);
  });
});

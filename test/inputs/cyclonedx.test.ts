import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { AppError } from '../../src/core/index.js';
import { detectReportFormat } from '../../src/inputs/index.js';
import { normalizeReport } from './synthetic.js';

const components = [
  { 'bom-ref': 'os-1', type: 'operating-system', name: 'alpine', version: '3.19.1' },
  { 'bom-ref': 'pkg:apk/alpine/busybox@1.36.1-r15', type: 'library', name: 'busybox', version: '1.36.1-r15', purl: 'pkg:apk/alpine/busybox@1.36.1-r15' },
  {
    'bom-ref': 'app',
    type: 'application',
    name: 'package-lock.json',
    components: [
      {
        'bom-ref': 'pkg:npm/jquery@3.3.9',
        type: 'library',
        name: 'jquery',
        version: '3.3.9',
        purl: 'pkg:npm/jquery@3.3.9',
        licenses: [{ license: { id: 'MIT' } }],
      },
    ],
  },
];

function bom(specVersion: string, tools: unknown, vulnerabilities: unknown[], metadataComponent?: unknown): Record<string, unknown> {
  return {
    bomFormat: 'CycloneDX',
    specVersion,
    version: 1,
    metadata: { timestamp: '2025-03-01T00:00:00+00:00', tools, ...(metadataComponent ? { component: metadataComponent } : {}) },
    components,
    vulnerabilities,
  };
}

const jqueryVuln = {
  id: 'CVE-2019-11358',
  source: { name: 'ghsa' },
  ratings: [
    { source: { name: 'nvd' }, score: 6.1, severity: 'high', method: 'CVSSv31' },
    { source: { name: 'ghsa' }, severity: 'medium' },
  ],
  recommendation: 'Upgrade jquery to version 3.4.0',
  published: '2019-04-20T00:29:00+00:00',
  affects: [{ ref: 'pkg:npm/jquery@3.3.9', versions: [{ version: '3.3.9', status: 'affected' }] }],
};

describe('CycloneDX with vulnerabilities', () => {
  it('refuses a BOM that names no image and whose vulnerabilities affect nothing it lists (REPORT_EMPTY)', () => {
    const vuln = { ...jqueryVuln, affects: [{ ref: 'pkg:npm/missing@1' }] };
    assert.throws(
      () => normalizeReport({ ...bom('1.6', { components: [] }, [vuln]), components: [] }),
      (err: unknown) => err instanceof AppError && err.code === 'REPORT_EMPTY' && /--allow-empty/.test(err.message),
    );
  });

  it('VEX: the state decides; a will_not_fix response never turns not_affected into affected; an unknown state is affected and warned', () => {
    const affects = [{ ref: 'pkg:npm/jquery@3.3.9' }];
    const vulns = [
      { id: 'CVE-1', ratings: [{ severity: 'high' }], analysis: { state: 'not_affected', response: ['will_not_fix', 'update'] }, affects },
      { id: 'CVE-2', ratings: [{ severity: 'high' }], analysis: { state: 'in_triage', response: ['can_not_fix'] }, affects },
      { id: 'CVE-3', ratings: [{ severity: 'high' }], analysis: { state: 'false_positive' }, affects },
      { id: 'CVE-4', ratings: [{ severity: 'high' }], analysis: { state: 'resolved' }, affects },
      { id: 'CVE-5', ratings: [{ severity: 'high' }], analysis: { state: 'mystery' }, affects },
      { id: 'CVE-6', ratings: [{ severity: 'high' }], analysis: { state: 'exploitable', response: ['update'] }, affects },
    ];
    const input = normalizeReport(bom('1.5', { components: [] }, vulns, { type: 'container', name: 'shop:1' }));
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.status]),
      [
        ['CVE-1', 'not_affected'],
        ['CVE-2', 'will_not_fix'],
        ['CVE-3', 'not_affected'],
        ['CVE-4', 'not_affected'],
        ['CVE-5', 'affected'],
        ['CVE-6', 'affected'],
      ],
    );
    assert.deepEqual(
      input.reports[0]?.warnings.map((w) => [w.code, w.path]),
      [['STATUS_UNKNOWN', '/vulnerabilities/4/analysis/state']],
    );
  });

  it('1.4: tools as an array, lowercase severities, the own source rating wins', () => {
    const doc = bom('1.4', [{ vendor: 'anchore', name: 'grype', version: '0.70.0' }], [jqueryVuln]);
    assert.equal(detectReportFormat(doc), 'cyclonedx');
    const input = normalizeReport(doc);
    const [v] = input.vulnerabilities;
    assert.deepEqual(input.reports[0]?.scanner, { name: 'grype', version: '0.70.0' });
    assert.equal(input.reports[0]?.format_version, '1.4');
    assert.equal(v?.severity, 'MEDIUM', 'ghsa is the vulnerability source');
    assert.equal(v?.cvss_score, 6.1);
    assert.deepEqual(v?.fixed_versions, [], 'recommendation is free text, never a version');
    assert.equal(v?.fix_available, false);
    assert.deepEqual(
      input.reports[0]?.warnings.map((w) => [w.code, w.path]),
      [['FIX_UNREADABLE', '/vulnerabilities/0/recommendation']],
    );
    assert.equal(v?.package.class, 'library');
    assert.equal(v?.age_days, 2447);
  });

  it('1.5: tools as components, and VEX analysis states', () => {
    const vulns = [
      {
        id: 'CVE-A',
        ratings: [{ severity: 'critical' }],
        analysis: { state: 'not_affected', justification: 'code_not_reachable' },
        affects: [{ ref: 'pkg:apk/alpine/busybox@1.36.1-r15' }],
      },
      {
        id: 'CVE-B',
        ratings: [{ severity: 'low' }],
        analysis: { state: 'exploitable', response: ['will_not_fix'] },
        affects: [{ ref: 'pkg:apk/alpine/busybox@1.36.1-r15' }],
      },
      {
        id: 'CVE-C',
        ratings: [{ severity: 'none' }, { severity: 'high' }],
        affects: [{ ref: 'pkg:apk/alpine/busybox@1.36.1-r15', versions: [{ version: '1.36.1-r16', status: 'unaffected' }] }],
      },
    ];
    const input = normalizeReport(bom('1.5', { components: [{ type: 'application', name: 'trivy', version: '0.50.0' }] }, vulns));
    assert.deepEqual(
      input.vulnerabilities.map((v) => [v.id, v.status, v.fix_available, v.severity, v.package.class]),
      [
        ['CVE-A', 'not_affected', false, 'CRITICAL', 'os'],
        ['CVE-B', 'will_not_fix', false, 'LOW', 'os'],
        ['CVE-C', 'fixed', true, 'HIGH', 'os'],
      ],
    );
    assert.equal(input.image.os.family, 'alpine');
  });

  it('1.6 from Trivy: the image comes from the container metadata component', () => {
    const digest = 'sha256:' + 'b'.repeat(64);
    const subject = {
      'bom-ref': 'img',
      type: 'container',
      name: 'ghcr.io/acme/shop:2.1',
      properties: [
        { name: 'aquasecurity:trivy:ImageID', value: 'sha256:' + 'c'.repeat(64) },
        { name: 'aquasecurity:trivy:RepoDigest', value: `ghcr.io/acme/shop@${digest}` },
        { name: 'aquasecurity:trivy:RepoTag', value: 'ghcr.io/acme/shop:2.1' },
        { name: 'aquasecurity:trivy:Size', value: '4096' },
      ],
    };
    const input = normalizeReport(
      bom('1.6', { components: [{ type: 'application', group: 'aquasecurity', name: 'trivy', version: '0.60.0' }] }, [jqueryVuln], subject),
    );
    assert.equal(input.image.name, 'ghcr.io/acme/shop');
    assert.equal(input.image.digest, digest);
    assert.equal(input.image.size_bytes, 4096);
    assert.equal(input.packages.length, 2, 'nested components are listed too');
    assert.deepEqual(input.packages.find((p) => p.name === 'jquery')?.licenses, ['MIT']);
  });

  it('1.7 is read the same way; an unknown affected ref is a warning, not a failure', () => {
    const vuln = { ...jqueryVuln, affects: [{ ref: 'pkg:npm/missing@1' }] };
    const input = normalizeReport(bom('1.7', { components: [] }, [vuln], { type: 'container', name: 'shop:1' }));
    assert.equal(input.vulnerabilities.length, 0);
    assert.ok(input.reports[0]?.warnings.some((w) => w.code === 'AFFECTED_COMPONENT_UNKNOWN' && w.path === '/vulnerabilities/0/affects/0'));
  });
});

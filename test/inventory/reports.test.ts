import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { kubernetesReports, REPORT_FORMATS, type ReportFormat } from '../../src/inventory/index.js';
import type { FindingRecord } from '../../src/store/index.js';

// The CRDs as the OpenReports and Kyverno projects publish them (test/fixtures/crds/SOURCES.md).
const CRDS: Readonly<Record<ReportFormat, string>> = {
  openreports: 'openreports.io_reports.yaml',
  policyreport: 'wgpolicyk8s.io_policyreports.yaml',
};

/** The CRD's openAPIV3Schema as a JSON Schema: Kubernetes' x-kubernetes-* markers are annotations to it. */
async function crdValidator(format: ReportFormat) {
  const text = await readFile(fileURLToPath(new URL(`../fixtures/crds/${CRDS[format]}`, import.meta.url)), 'utf8');
  const crd = parse(text) as { spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] } };
  const schema = crd.spec.versions[0]?.schema.openAPIV3Schema;
  assert.ok(schema);
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addVocabulary(['x-kubernetes-list-type', 'x-kubernetes-map-type']);
  ajv.addFormat('int32', /^-?\d+$/);
  ajv.addFormat('int64', /^-?\d+$/);
  return ajv.compile(schema);
}

function finding(i: number, over: Partial<FindingRecord> = {}): FindingRecord {
  return {
    id: i,
    fingerprint: `fp${i}`,
    state: 'open',
    enforcement: 'deny',
    rule: 'vulnerability_severity',
    severity: 'CRITICAL',
    vulnerability_id: `CVE-2024-${1000 + i}`,
    package: 'openssl',
    installed_version: '3.0.0',
    fixed_version: '3.0.9',
    fixable: true,
    published: '2024-01-01T00:00:00.000Z',
    age_days: 40,
    cvss_score: 9.8,
    title: 'a title',
    message: `CVE-2024-${1000 + i} (CRITICAL) in os package openssl 3.0.0, fixed in 3.0.9`,
    exception: null,
    cluster: 'prod-eu',
    namespace: 'shop',
    environment: 'prod',
    workload_kind: 'Deployment',
    workload_name: 'web',
    container: 'app',
    image: 'registry.example.com/shop/web:1.0',
    repository: 'registry.example.com/shop/web',
    digest: `sha256:${'a'.repeat(64)}`,
    revision: 'r1',
    first_seen: '2024-02-01T00:00:00.000Z',
    last_seen: '2024-02-02T00:00:00.000Z',
    resolved_at: null,
    ...over,
  };
}

const FINDINGS = [
  finding(1),
  finding(2, { enforcement: 'warn', severity: 'MEDIUM' }),
  finding(3, { state: 'excepted', exception: { reason: 'behind a proxy (SEC-1)', expires: '2024-03-01' } }),
  finding(4, {
    rule: 'unresolved_digest',
    vulnerability_id: null,
    package: null,
    installed_version: null,
    fixed_version: null,
    cvss_score: null,
    severity: 'HIGH',
    digest: null,
    workload_kind: 'CronJob',
    workload_name: 'backup',
  }),
  finding(5, { namespace: 'payments', severity: 'NEGLIGIBLE' }),
];

describe('Kubernetes policy reports', () => {
  for (const format of REPORT_FORMATS) {
    it(`${format}: one report per namespace, valid against the project's CRD schema`, async () => {
      const validate = await crdValidator(format);
      const reports = kubernetesReports(FINDINGS, { format, maxResults: 1000 });
      assert.equal(reports.length, 2);
      for (const report of reports) assert.ok(validate(report), JSON.stringify(validate.errors));
      const shop = reports.find((r) => (r['metadata'] as { namespace: string }).namespace === 'shop') as Record<string, any>;
      assert.equal(shop['apiVersion'], format === 'openreports' ? 'openreports.io/v1alpha1' : 'wgpolicyk8s.io/v1alpha2');
      assert.deepEqual(shop['summary'], { pass: 0, fail: 2, warn: 1, error: 0, skip: 1 });
      const first = shop['results'][0];
      assert.equal(first.severity, 'critical');
      assert.equal(first.result, 'fail');
      assert.deepEqual(first.resources, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' }]);
      assert.deepEqual(
        [first.properties.vulnerability, first.properties.package, first.properties.fixedVersion, first.properties.score],
        ['CVE-2024-1001', 'openssl', '3.0.9', '9.8'],
      );
      assert.deepEqual(
        shop['results'].map((r: { result: string }) => r.result),
        ['fail', 'fail', 'warn', 'skip'],
        'failures first',
      );
      assert.equal(shop['results'][1].resources[0].apiVersion, 'batch/v1');
      assert.match(shop['results'][3].properties.exception, /behind a proxy/);
      const payments = reports.find((r) => (r['metadata'] as { namespace: string }).namespace === 'payments') as Record<string, any>;
      assert.equal(payments['results'][0].severity, 'info');
    });

    it(`${format}: a CRD schema rejects what it should, so the check above can fail`, async () => {
      const validate = await crdValidator(format);
      const [report] = kubernetesReports([finding(1)], { format, maxResults: 10 });
      const broken = { ...report, results: [{ ...(report?.['results'] as object[])[0], severity: 'urgent' }] };
      assert.equal(validate(broken), false);
    });
  }

  it('cuts large namespaces at maxResults, counting everything in the summary', () => {
    const many = Array.from({ length: 30 }, (_, i) => finding(i));
    const [report] = kubernetesReports(many, { format: 'openreports', maxResults: 10 });
    assert.equal((report?.['results'] as unknown[]).length, 10);
    assert.deepEqual((report?.['summary'] as { fail: number }).fail, 30);
    assert.deepEqual(report?.['configuration'], { limits: { maxResults: 10 } });
  });
});

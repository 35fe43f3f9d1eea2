import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { normalizeReport } from './synthetic.js';

const crdYaml = `apiVersion: aquasecurity.github.io/v1alpha1
kind: VulnerabilityReport
metadata:
  name: replicaset-nginx-6d4cf56db6-nginx
  namespace: web
  labels:
    trivy-operator.resource.kind: ReplicaSet
    trivy-operator.resource.name: nginx-6d4cf56db6
    trivy-operator.resource.namespace: web
    trivy-operator.container.name: nginx
report:
  updateTimestamp: "2025-05-05T05:05:05Z"
  scanner: {name: Trivy, vendor: Aqua Security, version: 0.52.0}
  registry: {server: index.docker.io}
  artifact: {repository: library/nginx, tag: "1.16"}
  os: {family: debian, name: "10.3", eosl: true}
  summary: {criticalCount: 1, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0}
  vulnerabilities:
    - vulnerabilityID: CVE-2019-20367
      resource: libbsd0
      installedVersion: 0.9.1-2
      fixedVersion: 0.9.1-2+deb10u1
      publishedDate: "2020-01-08T21:15:00Z"
      severity: CRITICAL
      score: 9.1
      target: "nginx:1.16 (debian 10.3)"
      class: os-pkgs
      packageType: debian
      links: []
`;

describe('Trivy Operator VulnerabilityReport', () => {
  it('reads the CRD from YAML, with the workload and the image', () => {
    const input = normalizeReport(crdYaml);
    assert.equal(input.reports[0]?.format, 'trivy-operator');
    assert.deepEqual(input.reports[0]?.scanner, { name: 'trivy', version: '0.52.0' });
    assert.equal(input.image.name, 'docker.io/library/nginx');
    assert.equal(input.image.tag, '1.16');
    assert.equal(input.image.os.eosl, true);
    const [v] = input.vulnerabilities;
    assert.deepEqual(v?.resource, { kind: 'ReplicaSet', namespace: 'web', name: 'nginx-6d4cf56db6' });
    assert.equal(v?.fix_available, true);
    assert.equal(v?.cvss_score, 9.1);
    assert.equal(v?.package.class, 'os');
  });

  it('reads a kubectl List of reports, keeping each workload', () => {
    const other = crdYaml.replace(/nginx-6d4cf56db6/g, 'api-7f9').replace('library/nginx', 'library/node');
    const list = `apiVersion: v1\nkind: List\nitems:\n${[crdYaml, other].map((d) => `- ${d.replace(/\n/g, '\n  ').trimEnd()}`).join('\n')}\n`;
    const input = normalizeReport(list);
    assert.deepEqual(
      input.vulnerabilities.map((v) => v.resource?.name),
      ['nginx-6d4cf56db6', 'api-7f9'],
    );
    assert.equal(input.image.ref, null, 'two images: none is the image');
  });

  it('forced with an explicit format, a non-operator document is rejected naming the file', () => {
    assert.throws(
      () => normalizeReport({ kind: 'Pod', apiVersion: 'v1', items: 'x' }, 'trivy-operator'),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INPUT_INVALID');
        assert.match(err.message, /synthetic\.json \(as trivy-operator\)/);
        return true;
      },
    );
  });
});

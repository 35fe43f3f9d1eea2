import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NormalizedInput, ReportFormat } from '../../src/inputs/index.js';
import { normalizeByImage } from '../../src/inputs/index.js';
import { REAL_REPORTS, UPSTREAM_REPORTS } from '../helpers/fixtures.js';

/** What portcullis must make of one report file; decisions are under examples/policy/settings.yaml at CORPUS_NOW. */
export interface CorpusEntry {
  readonly dir: 'real' | 'upstream';
  readonly name: string;
  readonly format: ReportFormat;
  /** image.ref of each decided subject (null: the report names no image). */
  readonly targets: readonly (string | null)[];
  readonly vulnerabilities: number;
  /** Failed misconfigurations. */
  readonly misconfigurations: number;
  readonly secrets: number;
  /** Entries the parser could not fully read (warnings). */
  readonly warnings: number;
  readonly decision: 'allow' | 'deny';
  readonly violations: number;
  readonly policyWarnings: number;
}

export const CORPUS_NOW = '2026-11-28T12:00:00Z';

const DIGEST = 'sha256:f78909c2b360d866b3220655c0b079838258b8891a12ac25fc670f0cbb54229f';

// prettier-ignore
export const CORPUS: readonly CorpusEntry[] = [
  { dir: 'real', name: 'django-DefectDojo__anchore_grype__check_all_fields.json', format: 'grype', targets: ['vulnerable-image:latest'], vulnerabilities: 5, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'deny', violations: 4, policyWarnings: 2 },
  { dir: 'real', name: 'django-DefectDojo__anchore_grype__issue_9618.json', format: 'grype', targets: ['quay.io/cloudservices/xjoin-kafka-connect-strimzi:latest'], vulnerabilities: 35, misconfigurations: 0, secrets: 0, warnings: 1, decision: 'deny', violations: 10, policyWarnings: 0 },
  { dir: 'real', name: 'django-DefectDojo__anchore_grype__many_vulns3.json', format: 'grype', targets: ['defectdojo/defectdojo-django:1.13.1'], vulnerabilities: 327, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'deny', violations: 4, policyWarnings: 5 },
  { dir: 'real', name: 'django-DefectDojo__anchore_grype__no_vuln.json', format: 'grype', targets: ['busybox:latest'], vulnerabilities: 0, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'deny', violations: 2, policyWarnings: 0 },
  { dir: 'real', name: 'django-DefectDojo__trivy__all_statuses.json', format: 'trivy', targets: ['noppaknopsta/example-app:main-159'], vulnerabilities: 8, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'deny', violations: 1, policyWarnings: 0 },
  { dir: 'real', name: 'django-DefectDojo__trivy__issue_9333.json', format: 'trivy', targets: ['noppaknopsta/example-app:main-159'], vulnerabilities: 13, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'deny', violations: 1, policyWarnings: 1 },
  { dir: 'real', name: 'django-DefectDojo__trivy__misconfigurations_and_secrets.json', format: 'trivy', targets: [null], vulnerabilities: 2, misconfigurations: 1, secrets: 2, warnings: 0, decision: 'deny', violations: 3, policyWarnings: 1 },
  { dir: 'real', name: 'django-DefectDojo__trivy__scheme_2_no_vuln.json', format: 'trivy', targets: ['trivy-unittest:latest'], vulnerabilities: 0, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'deny', violations: 1, policyWarnings: 0 },
  { dir: 'real', name: 'django-DefectDojo__trivy_operator__vulnerabilityreport_extended.json', format: 'trivy-operator', targets: [`index.docker.io/library/ubuntu:20.04@${DIGEST}`], vulnerabilities: 5, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'allow', violations: 0, policyWarnings: 1 },
  { dir: 'real', name: 'secureCodeBox__juice-shop-v10.2.0.json', format: 'trivy', targets: ['bkimminich/juice-shop:v10.2.0'], vulnerabilities: 236, misconfigurations: 0, secrets: 1, warnings: 0, decision: 'deny', violations: 117, policyWarnings: 57 },
  { dir: 'real', name: 'secureCodeBox__juice-shop-v12.10.2-empty-results.json', format: 'trivy', targets: ['bkimminich/juice-shop:v12.10.2'], vulnerabilities: 0, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'allow', violations: 0, policyWarnings: 0 },
  { dir: 'real', name: 'secureCodeBox__k8s-results_unexpected-attribute.json', format: 'trivy-k8s', targets: ['docker.io/rancher/local-path-provisioner:v0.0.14'], vulnerabilities: 1, misconfigurations: 0, secrets: 1, warnings: 2, decision: 'deny', violations: 2, policyWarnings: 0 },
  { dir: 'real', name: 'trivy__alpine-310.json.golden', format: 'trivy', targets: ['ghcr.io/aquasecurity/trivy-test-images:alpine-310'], vulnerabilities: 4, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'deny', violations: 1, policyWarnings: 4 },
  { dir: 'real', name: 'trivy__alpine-310.sarif.golden', format: 'sarif', targets: ['ghcr.io/aquasecurity/trivy-test-images:alpine-310'], vulnerabilities: 4, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'allow', violations: 0, policyWarnings: 0 },
  { dir: 'real', name: 'trivy__dockerfile.json.golden', format: 'trivy', targets: [null], vulnerabilities: 0, misconfigurations: 1, secrets: 0, warnings: 0, decision: 'allow', violations: 0, policyWarnings: 0 },
  { dir: 'upstream', name: 'DefectDojo__cyclonedx__valid-vulnerability-1.4.json', format: 'cyclonedx', targets: [null], vulnerabilities: 0, misconfigurations: 0, secrets: 0, warnings: 1, decision: 'allow', violations: 0, policyWarnings: 0 },
  { dir: 'upstream', name: 'DefectDojo__cyclonedx__valid-vulnerability-1.4.xml', format: 'cyclonedx', targets: [null], vulnerabilities: 1, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'allow', violations: 0, policyWarnings: 0 },
  { dir: 'upstream', name: 'DefectDojo__trivy__legacy_trivy_mix.json', format: 'trivy', targets: ['trivy-ci-test'], vulnerabilities: 6, misconfigurations: 0, secrets: 0, warnings: 1, decision: 'deny', violations: 7, policyWarnings: 0 },
  { dir: 'upstream', name: 'DefectDojo__trivy_operator__configauditreport_single_vuln.json', format: 'trivy-operator', targets: [null], vulnerabilities: 0, misconfigurations: 1, secrets: 0, warnings: 0, decision: 'allow', violations: 0, policyWarnings: 0 },
  { dir: 'upstream', name: 'anchore-grype__TestSarifPresenter_image.golden', format: 'sarif', targets: [null], vulnerabilities: 2, misconfigurations: 0, secrets: 0, warnings: 0, decision: 'allow', violations: 0, policyWarnings: 1 },
];

export function corpusPath(entry: CorpusEntry): string {
  return join(entry.dir === 'real' ? REAL_REPORTS : UPSTREAM_REPORTS, entry.name);
}

/** Every report file of both folders, so a file added without an expectation fails the corpus test. */
export function corpusFiles(): string[] {
  const list = (dir: string, label: string) =>
    readdirSync(dir)
      .filter((n) => !n.endsWith('.md'))
      .map((n) => `${label}/${n}`);
  return [...list(REAL_REPORTS, 'real'), ...list(UPSTREAM_REPORTS, 'upstream')].sort();
}

export function normalizeCorpus(entry: CorpusEntry, now = CORPUS_NOW): NormalizedInput[] {
  return normalizeByImage({ reports: [{ path: entry.name, bytes: readFileSync(corpusPath(entry)) }], now });
}

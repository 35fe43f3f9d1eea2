import { splitFixedVersions, toRfc3339 } from '../derive.js';
import type { MisconfigDraft, SecretDraft, VulnerabilityDraft } from '../finding.js';
import { parseImageRef } from '../image-ref.js';
import type { ImageRef, K8sResource } from '../types.js';
import { emptyReport, type ImageDraft, type ParsedReport } from './report.js';
import { any, arr, bool, num, obj, str, strMap, strs } from './shape.js';
import { checkIdForms } from './trivy-results.js';
import { list, numberOrNull, rec, records, stringMap, text, texts, type Raw } from './values.js';
import { Warnings } from './warnings.js';

// The report CRDs of Trivy Operator (pkg/apis/aquasecurity/v1alpha1), each with
// its cluster-scoped twin: vulnerabilities, config audit checks (also the RBAC
// and infra assessments, which share their shape) and exposed secrets.
const VULNERABILITY_KINDS = new Set(['VulnerabilityReport', 'ClusterVulnerabilityReport']);
const CHECK_KINDS = new Set([
  'ConfigAuditReport',
  'ClusterConfigAuditReport',
  'RbacAssessmentReport',
  'ClusterRbacAssessmentReport',
  'InfraAssessmentReport',
  'ClusterInfraAssessmentReport',
]);
const SECRET_KINDS = new Set(['ExposedSecretReport', 'ClusterExposedSecretReport']);

const reportObject = obj({
  kind: str,
  metadata: obj({ name: str, namespace: str, labels: strMap }),
  report: obj({
    updateTimestamp: str,
    scanner: obj({ name: str, version: str }),
    registry: obj({ server: str }),
    artifact: obj({ repository: str, tag: str, digest: str }),
    os: obj({ family: str, name: str, eosl: bool }),
    summary: { type: ['object', 'null'], additionalProperties: num },
    vulnerabilities: arr(
      obj({
        vulnerabilityID: str,
        resource: str,
        installedVersion: str,
        fixedVersion: str,
        publishedDate: str,
        severity: str,
        title: str,
        primaryLink: str,
        score: num,
        target: str,
        class: str,
        packageType: str,
        packagePath: str,
        packagePURL: str,
      }),
    ),
    checks: arr(obj({ checkID: str, title: str, description: str, severity: str, category: str, messages: strs, remediation: str, success: bool })),
    secrets: arr(obj({ target: str, ruleID: str, title: str, category: str, severity: str, match: str })),
  }),
});

export const operatorReportSchema = reportObject;
/** `kubectl get … -o yaml` wraps reports in a List (of any kinds); a bare JSON array of them is read too. */
export const operatorListSchema = { type: 'object', properties: { items: arr(reportObject), kind: any } };
export const operatorArraySchema = { type: 'array', items: reportObject };

export function isOperatorReport(raw: Raw): boolean {
  return (text(raw['apiVersion']) ?? '').startsWith('aquasecurity.github.io/') && /Report$/.test(text(raw['kind']) ?? '');
}

/** The reports of a document: one report, the items of a List, or the elements of an array. */
function itemsOf(raw: unknown): { items: Raw[]; base: string } {
  if (Array.isArray(raw)) return { items: records(raw), base: '' };
  const top = rec(raw);
  return isOperatorReport(top) ? { items: [top], base: '' } : { items: records(top['items']), base: '/items' };
}

/** Trivy Operator report CRDs: each finding keeps the scanned workload as `resource` (vulnerabilities) or `target` (checks). */
export function parseOperator(raw: unknown): ParsedReport {
  const { items, base } = itemsOf(raw);
  const single = base === '' && !Array.isArray(raw);
  const warnings = new Warnings();
  const found = { vulnerabilities: [] as VulnerabilityDraft[], misconfigurations: [] as MisconfigDraft[], secrets: [] as SecretDraft[] };
  items.forEach((item, i) => readItem(item, single ? '' : `${base}/${i}`, found, warnings));
  const withImage = items.filter((item) => !CHECK_KINDS.has(text(item['kind']) ?? ''));
  const first = rec(items[0]);
  const report = rec(first['report']);
  const scanner = rec(report['scanner']);
  const refs = new Set(withImage.map((item) => artifactRef(rec(item['report']))?.ref ?? ''));
  return {
    ...emptyReport('trivy-operator', 'trivy'),
    formatVersion: text(first['apiVersion']),
    scanner: { name: (text(scanner['name']) ?? 'trivy').toLowerCase(), version: text(scanner['version']) },
    created: toRfc3339(report['updateTimestamp']),
    image: refs.size === 1 && withImage[0] ? operatorImage(rec(withImage[0]['report'])) : {},
    ...found,
    targets: items.length,
    warnings: warnings.list,
  };
}

interface Found {
  vulnerabilities: VulnerabilityDraft[];
  misconfigurations: MisconfigDraft[];
  secrets: SecretDraft[];
}

function readItem(item: Raw, path: string, found: Found, warnings: Warnings): void {
  const kind = text(item['kind']) ?? '';
  const report = rec(item['report']);
  const resource = resourceOf(item);
  let listed: number;
  if (VULNERABILITY_KINDS.has(kind)) listed = readVulnerabilities(report, resource, `${path}/report/vulnerabilities`, found, warnings);
  else if (CHECK_KINDS.has(kind)) listed = readChecks(report, resource, `${path}/report/checks`, found, warnings);
  else if (SECRET_KINDS.has(kind)) listed = readSecrets(report, `${path}/report/secrets`, found, warnings);
  else {
    warnings.add('REPORT_KIND_SKIPPED', `skipped a ${kind || 'report without kind'}: it carries no findings portcullis decides on`, path || '/');
    return;
  }
  const counted = Object.values(rec(report['summary'])).reduce<number>((sum, n) => sum + (numberOrNull(n) ?? 0), 0);
  if (counted > listed) {
    warnings.add(
      'SUMMARY_MISMATCH',
      `${kind} summary counts ${counted} findings but lists ${listed}; the missing ones cannot be decided on`,
      `${path}/report/summary`,
    );
  }
}

function resourceOf(item: Raw): K8sResource {
  const metadata = rec(item['metadata']);
  const labels = stringMap(metadata['labels']);
  return {
    kind: labels['trivy-operator.resource.kind'] ?? null,
    namespace: labels['trivy-operator.resource.namespace'] ?? text(metadata['namespace']),
    name: labels['trivy-operator.resource.name'] ?? null,
  };
}

function readVulnerabilities(report: Raw, resource: K8sResource, path: string, found: Found, warnings: Warnings): number {
  const entries = records(report['vulnerabilities']);
  entries.forEach((v, j) => {
    const id = text(v['vulnerabilityID']);
    const name = text(v['resource']);
    if (id === null || name === null) {
      warnings.add('VULNERABILITY_WITHOUT_ID', 'skipped a vulnerability without an ID or package', `${path}/${j}`);
      return;
    }
    warnings.severity(v['severity'], `${path}/${j}/severity`);
    const fixedVersion = text(v['fixedVersion']);
    found.vulnerabilities.push({
      id,
      title: text(v['title']),
      packageName: name,
      installedVersion: text(v['installedVersion']) ?? '',
      packageType: text(v['packageType']),
      trivyClass: text(v['class']),
      purl: text(v['packagePURL']),
      path: text(v['packagePath']),
      fixedVersion,
      fixedVersions: splitFixedVersions(fixedVersion),
      severity: v['severity'],
      published: v['publishedDate'],
      cvssScore: numberOrNull(v['score']),
      primaryUrl: text(v['primaryLink']),
      target: text(v['target']),
      resource,
    });
  });
  return entries.length;
}

/** Config audit checks; the summary counts failed checks only, so that is what is compared with it. */
function readChecks(report: Raw, resource: K8sResource, path: string, found: Found, warnings: Warnings): number {
  const target = resource.kind !== null && resource.name !== null ? `${resource.kind}/${resource.name}` : null;
  const checks = records(report['checks']);
  checks.forEach((c, j) => {
    const raw = text(c['checkID']);
    if (raw === null) warnings.add('MISCONFIGURATION_WITHOUT_ID', 'a check without a checkID (kept as UNKNOWN)', `${path}/${j}`);
    warnings.severity(c['severity'], `${path}/${j}/severity`);
    const id = raw ?? 'UNKNOWN';
    found.misconfigurations.push({
      id,
      aliases: checkIdForms(id).filter((a) => a !== id),
      type: text(c['category']),
      title: text(c['title']),
      message: texts(c['messages']).join('\n') || text(c['description']),
      resolution: text(c['remediation']),
      severity: c['severity'],
      status: c['success'] === true ? 'PASS' : 'FAIL',
      target,
      start_line: null,
      end_line: null,
      primary_url: null,
    });
  });
  return checks.filter((c) => c['success'] !== true).length;
}

function readSecrets(report: Raw, path: string, found: Found, warnings: Warnings): number {
  const secrets = list(report['secrets']).map(rec);
  secrets.forEach((s, j) => {
    const rule = text(s['ruleID']);
    if (rule === null) warnings.add('SECRET_WITHOUT_RULE', 'a secret without a ruleID (kept as unknown)', `${path}/${j}`);
    warnings.severity(s['severity'], `${path}/${j}/severity`);
    found.secrets.push({
      rule_id: rule ?? 'unknown',
      category: text(s['category']),
      title: text(s['title']),
      severity: s['severity'],
      target: text(s['target']),
      start_line: null,
      end_line: null,
      match: text(s['match']),
    });
  });
  return secrets.length;
}

function artifactRef(report: Raw): ImageRef | null {
  const artifact = rec(report['artifact']);
  const repository = text(artifact['repository']);
  if (repository === null) return null;
  const server = text(rec(report['registry'])['server']);
  const tag = text(artifact['tag']);
  const digest = text(artifact['digest']);
  const name = server ? `${server}/${repository}` : repository;
  return parseImageRef(`${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`);
}

function operatorImage(report: Raw): ImageDraft {
  const os = rec(report['os']);
  return {
    ref: artifactRef(report),
    osFamily: text(os['family']),
    osName: text(os['name']),
    eosl: typeof os['eosl'] === 'boolean' ? os['eosl'] : null,
  };
}

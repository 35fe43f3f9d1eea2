import { splitFixedVersions, toRfc3339 } from '../derive.js';
import type { VulnerabilityDraft } from '../finding.js';
import { parseImageRef } from '../image-ref.js';
import type { ImageRef, K8sResource, ReportWarning } from '../types.js';
import { emptyReport, type ImageDraft, type ParsedReport } from './report.js';
import { any, arr, bool, num, obj, str, strMap } from './shape.js';
import { numberOrNull, rec, records, stringMap, text, type Raw } from './values.js';

const reportObject = obj({
  kind: str,
  metadata: obj({ name: str, namespace: str, labels: strMap }),
  report: obj({
    updateTimestamp: str,
    scanner: obj({ name: str, version: str }),
    registry: obj({ server: str }),
    artifact: obj({ repository: str, tag: str, digest: str }),
    os: obj({ family: str, name: str, eosl: bool }),
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
  }),
});

export const operatorReportSchema = reportObject;
/** `kubectl get vulnerabilityreports -o yaml` wraps them in a List. */
export const operatorListSchema = { type: 'object', properties: { items: arr(reportObject), kind: any } };

export function isOperatorReport(raw: Raw): boolean {
  return /VulnerabilityReport$/.test(text(raw['kind']) ?? '') && (text(raw['apiVersion']) ?? '').startsWith('aquasecurity.github.io/');
}

/** Trivy Operator `VulnerabilityReport` CRDs: each finding keeps the scanned workload as `resource`. */
export function parseOperator(raw: unknown): ParsedReport {
  const top = rec(raw);
  const items = isOperatorReport(top) ? [top] : records(top['items']);
  const base = emptyReport('trivy-operator', 'trivy');
  const warnings: ReportWarning[] = [];
  const vulnerabilities = items.flatMap((item, i) => itemDrafts(item, isOperatorReport(top) ? '' : `/items/${i}`, warnings));
  const first = rec(items[0]);
  const report = rec(first['report']);
  const scanner = rec(report['scanner']);
  const refs = new Set(items.map((item) => artifactRef(rec(item['report']))?.ref ?? ''));
  return {
    ...base,
    formatVersion: text(first['apiVersion']),
    scanner: { name: (text(scanner['name']) ?? 'trivy').toLowerCase(), version: text(scanner['version']) },
    created: toRfc3339(report['updateTimestamp']),
    image: refs.size === 1 ? operatorImage(report) : {},
    vulnerabilities,
    warnings,
  };
}

function itemDrafts(item: Raw, path: string, warnings: ReportWarning[]): VulnerabilityDraft[] {
  const labels = stringMap(rec(item['metadata'])['labels']);
  const resource: K8sResource = {
    kind: labels['trivy-operator.resource.kind'] ?? null,
    namespace: labels['trivy-operator.resource.namespace'] ?? text(rec(item['metadata'])['namespace']),
    name: labels['trivy-operator.resource.name'] ?? null,
  };
  const drafts: VulnerabilityDraft[] = [];
  records(rec(item['report'])['vulnerabilities']).forEach((v, j) => {
    const id = text(v['vulnerabilityID']);
    const name = text(v['resource']);
    if (id === null || name === null) {
      warnings.push({
        code: 'VULNERABILITY_WITHOUT_ID',
        message: 'skipped a vulnerability without an ID or package',
        path: `${path}/report/vulnerabilities/${j}`,
      });
      return;
    }
    const fixedVersion = text(v['fixedVersion']);
    drafts.push({
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
  return drafts;
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

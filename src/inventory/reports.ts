import type { FindingRecord, InventoryStore } from '../store/index.js';

export type ReportFormat = 'openreports' | 'policyreport';
export const REPORT_FORMATS: readonly ReportFormat[] = ['openreports', 'policyreport'];

/** A namespaced report object as Kubernetes (and Policy Reporter) reads it. */
export type KubernetesReport = Readonly<Record<string, unknown>>;

const API: Readonly<Record<ReportFormat, { readonly apiVersion: string; readonly kind: string }>> = {
  openreports: { apiVersion: 'openreports.io/v1alpha1', kind: 'Report' },
  policyreport: { apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'PolicyReport' },
};

const WORKLOAD_API: Readonly<Record<string, string>> = {
  Pod: 'v1',
  ReplicationController: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

const SEVERITY: Readonly<Record<string, string>> = { CRITICAL: 'critical', HIGH: 'high', MEDIUM: 'medium', LOW: 'low' };

export const REPORT_NAME = 'portcullis-image-scan';

export interface ReportOptions {
  readonly format: ReportFormat;
  /** Results per report; etcd keeps objects under about 1.5 MiB, so large namespaces are cut here (the summary still counts all). */
  readonly maxResults: number;
}

/**
 * One report per (cluster, namespace) from the current findings: open
 * deny-level findings `fail`, open warn-level ones `warn`, excepted ones
 * `skip`; the workload as the result's resource, and the CVE, package,
 * versions and score in `properties`. Named portcullis-image-scan, so applying
 * it again replaces the last one.
 */
export function kubernetesReports(findings: readonly FindingRecord[], options: ReportOptions): KubernetesReport[] {
  const byNamespace = new Map<string, FindingRecord[]>();
  for (const f of findings) {
    const key = JSON.stringify([f.cluster, f.namespace]);
    byNamespace.set(key, [...(byNamespace.get(key) ?? []), f]);
  }
  return [...byNamespace.values()].map((list) => report(list, options));
}

const RESULT_ORDER: Readonly<Record<string, number>> = { fail: 0, warn: 1, skip: 2 };
const SEVERITY_ORDER: Readonly<Record<string, number>> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

function report(findings: readonly FindingRecord[], options: ReportOptions): KubernetesReport {
  const first = findings[0] as FindingRecord;
  // Failures first, worst first: what a cut at maxResults leaves out matters least.
  const results = findings
    .map(result)
    .sort((a, b) => (RESULT_ORDER[a.result] ?? 3) - (RESULT_ORDER[b.result] ?? 3) || (SEVERITY_ORDER[a.severity] ?? 5) - (SEVERITY_ORDER[b.severity] ?? 5));
  const summary = { pass: 0, fail: count(results, 'fail'), warn: count(results, 'warn'), error: 0, skip: count(results, 'skip') };
  const truncated = results.length > options.maxResults;
  const api = API[options.format];
  return {
    apiVersion: api.apiVersion,
    kind: api.kind,
    metadata: {
      name: REPORT_NAME,
      namespace: first.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'portcullis', 'portcullis.dev/cluster': first.cluster },
      ...(truncated ? { annotations: { 'portcullis.dev/results-truncated': `${results.length - options.maxResults} more results are not listed` } } : {}),
    },
    ...(options.format === 'openreports' ? { source: 'portcullis' } : {}),
    ...(options.format === 'openreports' && truncated ? { configuration: { limits: { maxResults: options.maxResults } } } : {}),
    scope: { apiVersion: 'v1', kind: 'Namespace', name: first.namespace },
    summary,
    results: results.slice(0, options.maxResults),
  };
}

function count(results: readonly { readonly result: string }[], kind: string): number {
  return results.filter((r) => r.result === kind).length;
}

function result(f: FindingRecord): Record<string, unknown> & { readonly result: string; readonly severity: string } {
  const properties: Record<string, string> = {
    image: f.image,
    container: f.container,
    cluster: f.cluster,
    firstSeen: f.first_seen,
    ageDays: String(f.age_days),
    revision: f.revision,
  };
  const optional: Record<string, string | null> = {
    vulnerability: f.vulnerability_id,
    package: f.package,
    installedVersion: f.installed_version,
    fixedVersion: f.fixed_version,
    score: f.cvss_score === null ? null : String(f.cvss_score),
    published: f.published,
    digest: f.digest,
    environment: f.environment,
    exception: f.exception ? `${f.exception.reason} (expires ${f.exception.expires})` : null,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== null) properties[k] = v;
  return {
    source: 'portcullis',
    policy: f.rule,
    rule: f.vulnerability_id ?? f.rule,
    category: f.vulnerability_id ? 'Vulnerability Scan' : 'Image Policy',
    severity: SEVERITY[f.severity] ?? 'info',
    result: f.state === 'excepted' ? 'skip' : f.enforcement === 'deny' ? 'fail' : 'warn',
    scored: f.enforcement === 'deny',
    timestamp: { seconds: Math.floor(Date.parse(f.first_seen) / 1000), nanos: 0 },
    message: f.message,
    resources: [{ apiVersion: WORKLOAD_API[f.workload_kind] ?? 'v1', kind: f.workload_kind, name: f.workload_name, namespace: f.namespace }],
    properties,
  };
}

/** Every open and excepted finding of the filtered namespaces, page by page, as reports. */
export async function reportsFromStore(
  store: InventoryStore,
  filter: { readonly cluster?: string; readonly namespace?: string },
  options: ReportOptions,
  now: Date,
): Promise<KubernetesReport[]> {
  const findings: FindingRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryFindings({
      ...filter,
      states: ['open', 'excepted'],
      sort: 'namespace',
      order: 'asc',
      limit: 1000,
      now,
      ...(cursor === undefined ? {} : { cursor }),
    });
    findings.push(...page.findings);
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  return kubernetesReports(findings, options);
}

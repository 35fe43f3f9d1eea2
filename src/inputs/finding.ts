import { ageInDays, isFixAvailable, normalizeSeverity, normalizeStatus, packageClass, SEVERITY_RANK, toRfc3339 } from './derive.js';
import type { K8sResource, Misconfiguration, PackageClass, Secret, Vulnerability } from './types.js';

/** What a format parser knows about one finding; derived facts are added by `finishVulnerability`. */
export interface VulnerabilityDraft {
  readonly id: string;
  readonly aliases?: readonly string[];
  readonly title?: string | null;
  readonly packageName: string;
  readonly installedVersion: string;
  readonly packageType?: string | null;
  readonly trivyClass?: string | null;
  readonly packageClass?: PackageClass;
  readonly purl?: string | null;
  readonly path?: string | null;
  readonly fixedVersion?: string | null;
  readonly fixedVersions: readonly string[];
  readonly severity: unknown;
  readonly status?: unknown;
  readonly published?: unknown;
  readonly cvssScore?: number | null;
  readonly dataSource?: string | null;
  readonly primaryUrl?: string | null;
  readonly target?: string | null;
  readonly resource?: K8sResource | null;
}

export function finishVulnerability(d: VulnerabilityDraft, now: Date): Vulnerability {
  const severity = normalizeSeverity(d.severity);
  const status = normalizeStatus(d.status, d.fixedVersions);
  const published = toRfc3339(d.published);
  const fixedVersion = d.fixedVersion ?? (d.fixedVersions.length > 0 ? d.fixedVersions.join(', ') : null);
  return {
    id: d.id,
    aliases: [...new Set(d.aliases ?? [])].filter((a) => a !== d.id),
    title: d.title ?? null,
    package: {
      name: d.packageName,
      version: d.installedVersion,
      type: d.packageType ?? null,
      class: d.packageClass ?? packageClass({ trivyClass: d.trivyClass ?? null, type: d.packageType ?? null, purl: d.purl ?? null }),
      purl: d.purl ?? null,
      path: d.path ?? null,
    },
    installed_version: d.installedVersion,
    fixed_version: fixedVersion === '' ? null : fixedVersion,
    fixed_versions: [...d.fixedVersions],
    fix_available: isFixAvailable(status, d.fixedVersions),
    severity,
    severity_rank: SEVERITY_RANK[severity],
    status,
    published,
    age_days: ageInDays(published, now),
    cvss_score: d.cvssScore ?? null,
    data_source: d.dataSource ?? null,
    primary_url: d.primaryUrl ?? null,
    target: d.target ?? null,
    resource: d.resource ?? null,
  };
}

/**
 * Identity for de-duplication: the same package at the same place. For
 * libraries the place is the file they were found in, or the scanned target
 * (lockfile) when the report names no file; OS packages have one place per image.
 */
export function vulnerabilityKey(v: Vulnerability): string {
  const path = v.package.class === 'library' ? (v.package.path ?? v.target ?? '').replace(/^\/+/, '') : '';
  const resource = v.resource ? `${v.resource.kind}/${v.resource.namespace}/${v.resource.name}` : '';
  return JSON.stringify([v.id, v.package.name, v.installed_version, path, resource]);
}

export function dedupeVulnerabilities(list: readonly Vulnerability[]): Vulnerability[] {
  const seen = new Set<string>();
  return list.filter((v) => {
    const key = vulnerabilityKey(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface MisconfigDraft extends Omit<Misconfiguration, 'severity' | 'severity_rank' | 'status'> {
  readonly severity: unknown;
  readonly status: unknown;
}

export function finishMisconfiguration(d: MisconfigDraft): Misconfiguration {
  const severity = normalizeSeverity(d.severity);
  const status = typeof d.status === 'string' ? d.status.toUpperCase() : '';
  return {
    ...d,
    severity,
    severity_rank: SEVERITY_RANK[severity],
    status: status === 'PASS' || status === 'EXCEPTION' ? status : 'FAIL',
  };
}

export interface SecretDraft extends Omit<Secret, 'severity' | 'severity_rank'> {
  readonly severity: unknown;
}

export function finishSecret(d: SecretDraft): Secret {
  const severity = normalizeSeverity(d.severity);
  return { ...d, severity, severity_rank: SEVERITY_RANK[severity] };
}

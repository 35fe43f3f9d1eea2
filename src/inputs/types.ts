// The normalized input every policy sees, documented field by field in
// docs/input-format.md and checked by schemas/normalized-input.schema.json.
// Absent facts are null (never missing keys), lists are [] when empty, so
// Rego rules can compare without `object.get` guards.

import type { Severity } from '../core/index.js';
import type { DockerfileFacts } from './dockerfile-types.js';
import type { ReportFormat } from './formats/report.js';
import type { Workload } from './workload-types.js';

export type { Severity };

export type VulnerabilityStatus = 'unknown' | 'not_affected' | 'affected' | 'fixed' | 'under_investigation' | 'will_not_fix' | 'fix_deferred' | 'end_of_life';

export type PackageClass = 'os' | 'library';

export interface ImageRef {
  readonly ref: string;
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | null;
  readonly tag_explicit: boolean;
  readonly digest: string | null;
}

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

export interface ImageFacts {
  readonly ref: string | null;
  readonly name: string | null;
  readonly registry: string | null;
  readonly repository: string | null;
  readonly tag: string | null;
  readonly digest: string | null;
  readonly id: string | null;
  readonly repo_tags: readonly string[];
  readonly repo_digests: readonly string[];
  readonly os: { readonly family: string | null; readonly name: string | null; readonly eosl: boolean | null };
  readonly architecture: string | null;
  readonly user: string | null;
  readonly runs_as_root: boolean | null;
  readonly exposed_ports: readonly number[];
  readonly env: readonly EnvVar[];
  readonly created: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly base_image: ImageRef | null;
  readonly size_bytes: number | null;
}

export interface PackageRefFacts {
  readonly name: string;
  readonly version: string;
  readonly type: string | null;
  readonly class: PackageClass;
  readonly purl: string | null;
  readonly path: string | null;
}

export interface PackageFacts extends PackageRefFacts {
  readonly licenses: readonly string[];
}

export interface K8sResource {
  readonly kind: string | null;
  readonly namespace: string | null;
  readonly name: string | null;
}

export interface Vulnerability {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly title: string | null;
  readonly package: PackageRefFacts;
  readonly installed_version: string;
  readonly fixed_version: string | null;
  readonly fixed_versions: readonly string[];
  readonly fix_available: boolean;
  readonly severity: Severity;
  readonly severity_rank: number;
  readonly status: VulnerabilityStatus;
  readonly published: string | null;
  readonly age_days: number | null;
  readonly cvss_score: number | null;
  readonly data_source: string | null;
  readonly primary_url: string | null;
  readonly target: string | null;
  readonly resource: K8sResource | null;
}

export interface Misconfiguration {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly type: string | null;
  readonly title: string | null;
  readonly message: string | null;
  readonly resolution: string | null;
  readonly severity: Severity;
  readonly severity_rank: number;
  readonly status: 'PASS' | 'FAIL' | 'EXCEPTION';
  readonly target: string | null;
  readonly start_line: number | null;
  readonly end_line: number | null;
  readonly primary_url: string | null;
}

export interface Secret {
  readonly rule_id: string;
  readonly category: string | null;
  readonly title: string | null;
  readonly severity: Severity;
  readonly severity_rank: number;
  readonly target: string | null;
  readonly start_line: number | null;
  readonly end_line: number | null;
  readonly match: string | null;
}

/**
 * Why a parser could not read an entry fully. Every output shows them, and
 * `check --strict` fails on any (docs/input-format.md lists what each means).
 */
export type ReportWarningCode =
  | 'VULNERABILITY_WITHOUT_ID'
  | 'MISCONFIGURATION_WITHOUT_ID'
  | 'SECRET_WITHOUT_RULE'
  | 'AFFECTED_COMPONENT_UNKNOWN'
  | 'SEVERITY_MISSING'
  | 'STATUS_UNKNOWN'
  | 'FIX_UNREADABLE'
  | 'IMAGE_CONFIG_UNREADABLE'
  | 'RESOURCE_NOT_SCANNED'
  | 'SUMMARY_MISMATCH'
  | 'REPORT_KIND_SKIPPED'
  | 'SARIF_RESULT_SKIPPED';

export interface ReportWarning {
  readonly code: ReportWarningCode;
  readonly message: string;
  readonly path: string;
}

export interface ReportSummary {
  readonly file: string;
  readonly format: ReportFormat;
  readonly format_version: string | null;
  readonly scanner: { readonly name: string; readonly version: string | null };
  readonly created: string | null;
  readonly lists_packages: boolean;
  readonly vulnerability_count: number;
  readonly warnings: readonly ReportWarning[];
}

export interface ClusterMetadata {
  readonly namespace: string | null;
  readonly namespace_labels: Readonly<Record<string, string>>;
  readonly environment: string | null;
  readonly cluster: string | null;
  readonly labels: Readonly<Record<string, string>>;
}

export interface VulnerabilitySummary {
  readonly total: number;
  readonly fixable: number;
  readonly by_severity: Readonly<Record<Severity, number>>;
}

export interface NormalizedInput {
  readonly schema_version: 1;
  readonly now: string;
  readonly image: ImageFacts;
  readonly vulnerabilities: readonly Vulnerability[];
  readonly misconfigurations: readonly Misconfiguration[];
  readonly secrets: readonly Secret[];
  readonly packages: readonly PackageFacts[];
  readonly dockerfile: DockerfileFacts | null;
  readonly workloads: readonly Workload[];
  readonly metadata: ClusterMetadata;
  readonly reports: readonly ReportSummary[];
  readonly summary: { readonly vulnerabilities: VulnerabilitySummary };
}

import type { MisconfigDraft, SecretDraft, VulnerabilityDraft } from '../finding.js';
import type { EnvVar, ImageRef, PackageFacts, ReportWarning } from '../types.js';

export const REPORT_FORMATS = ['trivy', 'trivy-k8s', 'trivy-operator', 'grype', 'cyclonedx', 'sarif'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Image facts a report may know; anything unknown stays undefined so another report can fill it. */
export interface ImageDraft {
  readonly ref?: ImageRef | null;
  readonly digest?: string | null;
  readonly id?: string | null;
  readonly repoTags?: readonly string[];
  readonly repoDigests?: readonly string[];
  readonly osFamily?: string | null;
  readonly osName?: string | null;
  readonly eosl?: boolean | null;
  readonly architecture?: string | null;
  readonly config?: ImageConfigDraft | null;
  readonly sizeBytes?: number | null;
}

/** The OCI image config (`config` object of the config file), in its Docker capitalisation. */
export interface ImageConfigDraft {
  readonly user: string | null;
  readonly exposedPorts: readonly number[];
  readonly env: readonly EnvVar[];
  readonly labels: Readonly<Record<string, string>>;
  readonly created: string | null;
}

/** One report, parsed into drafts; `normalize` adds the derived facts and merges reports. */
export interface ParsedReport {
  readonly format: ReportFormat;
  readonly formatVersion: string | null;
  readonly scanner: { readonly name: string; readonly version: string | null };
  readonly created: string | null;
  readonly image: ImageDraft;
  readonly vulnerabilities: readonly VulnerabilityDraft[];
  readonly misconfigurations: readonly MisconfigDraft[];
  readonly secrets: readonly SecretDraft[];
  /** Null when the report does not list the image's packages (only vulnerable ones). */
  readonly packages: readonly PackageFacts[] | null;
  /** What the report says it scanned besides the image (Trivy targets, workloads, components): 0 with no image and no finding means it said nothing. */
  readonly targets: number;
  readonly warnings: readonly ReportWarning[];
}

export function emptyReport(format: ReportFormat, scanner: string): ParsedReport {
  return {
    format,
    formatVersion: null,
    scanner: { name: scanner, version: null },
    created: null,
    image: {},
    vulnerabilities: [],
    misconfigurations: [],
    secrets: [],
    packages: null,
    targets: 0,
    warnings: [],
  };
}

import { AppError } from '../core/index.js';
import { SEVERITY_RANK } from './derive.js';
import { parseDockerfile } from './dockerfile.js';
import { dedupeVulnerabilities, finishMisconfiguration, finishSecret, finishVulnerability } from './finding.js';
import { assertReportFormat, parseReportDocument, type ParsedReport } from './formats/index.js';
import { buildImageFacts } from './image.js';
import { parseManifest } from './kubernetes.js';
import { clusterMetadata, parseClusterMetadata } from './metadata.js';
import { looksLikeXml, parseCycloneDxXml } from './formats/cyclonedx-xml.js';
import { decodeText, DEFAULT_INPUT_LIMITS, parseSingleText, type InputLimits } from './read.js';
import { assertNormalizedInput } from './schemas.js';
import type { NormalizedInput, ReportSummary, Severity, Vulnerability, VulnerabilitySummary } from './types.js';

export interface InputFile {
  /** Named in every error message; also recorded in the output. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface ReportFile extends InputFile {
  /** Overrides detection; one of REPORT_FORMATS. */
  readonly format?: string | undefined;
}

export interface NormalizeRequest {
  readonly reports?: readonly ReportFile[];
  readonly dockerfile?: InputFile | undefined;
  readonly manifest?: InputFile | undefined;
  readonly metadata?: InputFile | undefined;
  /** The evaluation time: CVE ages are counted to it and it is passed on as `now`. */
  readonly now: Date | string;
  readonly limits?: Partial<InputLimits>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function parseNow(now: Date | string): Date {
  const date = typeof now === 'string' && RFC3339.test(now) ? new Date(now) : now instanceof Date ? now : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new AppError('USAGE', `"now" must be an RFC 3339 date-time, got ${JSON.stringify(String(now))}`);
  return date;
}

/** Parses one report file, detecting its format unless `format` is given. */
export function parseReport(file: ReportFile, limits: InputLimits = DEFAULT_INPUT_LIMITS): ParsedReport {
  const format = file.format === undefined || file.format === 'auto' ? undefined : assertReportFormat(file.format);
  const text = decodeText(file.bytes, file.path, limits);
  const raw = looksLikeXml(text) ? parseCycloneDxXml(text, file.path, limits) : parseSingleText(text, file.path, limits);
  return parseReportDocument(raw, file.path, format);
}

/** Every input, parsed, merged and checked against schemas/normalized-input.schema.json. */
export function normalize(request: NormalizeRequest): NormalizedInput {
  const now = parseNow(request.now);
  const limits: InputLimits = { ...DEFAULT_INPUT_LIMITS, ...request.limits };
  const reports = (request.reports ?? []).map((file) => ({ file: file.path, parsed: parseReport(file, limits) }));
  const dockerfile = request.dockerfile ? parseDockerfile(request.dockerfile.bytes, request.dockerfile.path, limits) : null;
  const workloads = request.manifest ? parseManifest(request.manifest.bytes, request.manifest.path, limits) : [];
  const metadataFile = request.metadata ? parseClusterMetadata(request.metadata.bytes, request.metadata.path, limits) : null;
  const vulnerabilities = dedupeVulnerabilities(reports.flatMap((r) => r.parsed.vulnerabilities.map((v) => finishVulnerability(v, now))));
  const input: NormalizedInput = {
    schema_version: 1,
    now: now.toISOString(),
    image: buildImageFacts(
      reports.map((r) => r.parsed.image),
      dockerfile?.base_image ?? null,
    ),
    vulnerabilities,
    misconfigurations: reports.flatMap((r) => r.parsed.misconfigurations.map(finishMisconfiguration)),
    secrets: reports.flatMap((r) => r.parsed.secrets.map(finishSecret)),
    packages: reports.flatMap((r) => r.parsed.packages ?? []),
    dockerfile,
    workloads,
    metadata: clusterMetadata(metadataFile, workloads.find((w) => w.namespace !== null)?.namespace ?? null),
    reports: reports.map(({ file, parsed }) => reportSummary(file, parsed)),
    summary: { vulnerabilities: summarize(vulnerabilities) },
  };
  return assertNormalizedInput(input, 'normalized input');
}

function reportSummary(file: string, parsed: ParsedReport): ReportSummary {
  return {
    file,
    format: parsed.format,
    format_version: parsed.formatVersion,
    scanner: parsed.scanner,
    created: parsed.created,
    lists_packages: parsed.packages !== null,
    vulnerability_count: parsed.vulnerabilities.length,
    warnings: parsed.warnings,
  };
}

function summarize(list: readonly Vulnerability[]): VulnerabilitySummary {
  const bySeverity = Object.fromEntries(Object.keys(SEVERITY_RANK).map((s) => [s, 0])) as Record<Severity, number>;
  for (const v of list) bySeverity[v.severity] += 1;
  return { total: list.length, fixable: list.filter((v) => v.fix_available).length, by_severity: bySeverity };
}

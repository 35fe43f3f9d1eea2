import { AppError } from '../core/index.js';
import { SEVERITY_RANK } from './derive.js';
import { parseDockerfile } from './dockerfile.js';
import type { DockerfileFacts } from './dockerfile-types.js';
import { dedupeVulnerabilities, finishMisconfiguration, finishSecret, finishVulnerability } from './finding.js';
import { looksLikeXml, parseCycloneDxXml } from './formats/cyclonedx-xml.js';
import { assertReportFormat, parseReportDocument, type ParsedReport } from './formats/index.js';
import { buildImageFacts } from './image.js';
import { parseManifest } from './kubernetes.js';
import { clusterMetadata, parseClusterMetadata, type ClusterMetadataFile } from './metadata.js';
import { checkedDocument, decodeText, DEFAULT_INPUT_LIMITS, parseJsonBytes, parseSingleText, type InputLimits } from './read.js';
import { assertNormalizedInput } from './schemas.js';
import type { ImageRef, NormalizedInput, ReportSummary, Severity, Vulnerability, VulnerabilitySummary } from './types.js';
import type { Workload } from './workload-types.js';

export interface InputFile {
  /** Named in every error message; also recorded in the output. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface ReportFile extends InputFile {
  /** Overrides detection; one of REPORT_FORMATS. */
  readonly format?: string | undefined;
}

/**
 * A report already parsed from JSON, as an HTTP body holds it: read as the
 * same report's bytes would be (its nesting is checked), without writing it
 * out and parsing it again.
 */
export interface ParsedReportFile {
  readonly path: string;
  readonly format?: string | undefined;
  readonly document: unknown;
  /**
   * How deep the document can nest at most, when what holds it was checked
   * already (an HTTP body within its limit): within the limit, the document
   * is not walked again.
   */
  readonly nestedAtMost?: number;
}

export interface NormalizeRequest {
  readonly reports?: readonly (ReportFile | ParsedReportFile)[];
  readonly dockerfile?: InputFile | undefined;
  readonly manifest?: InputFile | undefined;
  readonly metadata?: InputFile | undefined;
  /** The evaluation time: CVE ages are counted to it and it is passed on as `now`. */
  readonly now: Date | string;
  readonly limits?: Partial<InputLimits>;
  /** Accept a report that names no target and holds no finding (otherwise REPORT_EMPTY). */
  readonly allowEmpty?: boolean;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function parseNow(now: Date | string): Date {
  const date = typeof now === 'string' && RFC3339.test(now) ? new Date(now) : now instanceof Date ? now : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new AppError('USAGE', `"now" must be an RFC 3339 date-time, got ${JSON.stringify(String(now))}`);
  return date;
}

/**
 * Parses one report file, detecting its format unless `format` is given.
 * A report that is not empty (not `null`, `[]` or `{}`) but names no target
 * and holds no finding is REPORT_EMPTY: it was not understood, and deciding
 * on it would allow by default.
 */
export function parseReport(file: ReportFile | ParsedReportFile, limits: InputLimits = DEFAULT_INPUT_LIMITS, allowEmpty = false): ParsedReport {
  const format = file.format === undefined || file.format === 'auto' ? undefined : assertReportFormat(file.format);
  const raw = 'document' in file ? checkedDocument(file.document, file.path, limits, file.nestedAtMost) : readReport(file, limits);
  const parsed = parseReportDocument(raw, file.path, format);
  if (!allowEmpty && saysNothing(parsed) && !isEmptyDocument(raw)) {
    const message = `${file.path}: the ${parsed.format} report names no scanned target and holds no finding, so there is nothing to decide on; check that it is the scanner's full JSON output, or pass --allow-empty`;
    throw new AppError('REPORT_EMPTY', message, { details: [{ file: file.path, message: 'no target and no finding' }] });
  }
  return parsed;
}

function readReport(file: ReportFile, limits: InputLimits): unknown {
  const json = parseJsonBytes(file.bytes, file.path, limits);
  if (json) return json.value;
  const text = decodeText(file.bytes, file.path, limits);
  return looksLikeXml(text) ? parseCycloneDxXml(text, file.path, limits) : parseSingleText(text, file.path, limits);
}

function saysNothing(parsed: ParsedReport): boolean {
  const found = parsed.vulnerabilities.length + parsed.misconfigurations.length + parsed.secrets.length;
  return found === 0 && parsed.targets === 0 && !parsed.image.ref;
}

function isEmptyDocument(raw: unknown): boolean {
  return raw === null || (typeof raw === 'object' && Object.keys(raw).length === 0);
}

interface Parsed {
  readonly now: Date;
  readonly reports: readonly { file: string; parsed: ParsedReport }[];
  readonly dockerfile: DockerfileFacts | null;
  readonly workloads: readonly Workload[];
  readonly metadata: ClusterMetadataFile | null;
}

function parseAll(request: NormalizeRequest): Parsed {
  const limits: InputLimits = { ...DEFAULT_INPUT_LIMITS, ...request.limits };
  return {
    now: parseNow(request.now),
    reports: (request.reports ?? []).map((file) => ({ file: file.path, parsed: parseReport(file, limits, request.allowEmpty) })),
    dockerfile: request.dockerfile ? parseDockerfile(request.dockerfile.bytes, request.dockerfile.path, limits) : null,
    workloads: request.manifest ? parseManifest(request.manifest.bytes, request.manifest.path, limits) : [],
    metadata: request.metadata ? parseClusterMetadata(request.metadata.bytes, request.metadata.path, limits) : null,
  };
}

/** Every input, parsed, merged into one input and checked against schemas/normalized-input.schema.json. */
export function normalize(request: NormalizeRequest): NormalizedInput {
  const parsed = parseAll(request);
  return buildInput(parsed, parsed.reports);
}

/**
 * One input per scanned image: reports of the same image (by name, tag and
 * digest where both know them) are merged, reports of different images are
 * kept apart so each image is decided on its own findings. Reports that name
 * no image join the only image there is, or form a subject of their own when
 * there are several. The Dockerfile, manifest and metadata apply to every one.
 */
export function normalizeByImage(request: NormalizeRequest): NormalizedInput[] {
  const parsed = parseAll(request);
  const groups: { ref: ImageRef | null; reports: Parsed['reports'][number][] }[] = [];
  const imageless: Parsed['reports'][number][] = [];
  for (const report of parsed.reports) {
    const ref = report.parsed.image.ref ?? null;
    if (ref === null) {
      imageless.push(report);
      continue;
    }
    const group = groups.find((g) => g.ref !== null && sameImage(g.ref, ref));
    if (group) group.reports.push(report);
    else groups.push({ ref, reports: [report] });
  }
  if (groups.length === 1 && groups[0]) groups[0].reports.push(...imageless);
  else if (imageless.length > 0 || groups.length === 0) groups.push({ ref: null, reports: imageless });
  return groups.map((g) => buildInput(parsed, g.reports));
}

/** Same repository; tags and digests must agree where both reports name one. */
function sameImage(a: ImageRef, b: ImageRef): boolean {
  const agree = (x: string | null, y: string | null) => x === null || y === null || x === y;
  if (a.name !== b.name || !agree(a.digest, b.digest)) return false;
  // One digest pins one image, whatever tags each report lists.
  return (a.digest !== null && a.digest === b.digest) || agree(a.tag, b.tag);
}

function buildInput(context: Parsed, reports: Parsed['reports']): NormalizedInput {
  const { now } = context;
  const vulnerabilities = dedupeVulnerabilities(reports.flatMap((r) => r.parsed.vulnerabilities.map((v) => finishVulnerability(v, now))));
  const input: NormalizedInput = {
    schema_version: 1,
    now: now.toISOString(),
    image: buildImageFacts(
      reports.map((r) => r.parsed.image),
      context.dockerfile?.base_image ?? null,
    ),
    vulnerabilities,
    misconfigurations: reports.flatMap((r) => r.parsed.misconfigurations.map(finishMisconfiguration)),
    secrets: reports.flatMap((r) => r.parsed.secrets.map(finishSecret)),
    packages: reports.flatMap((r) => r.parsed.packages ?? []),
    dockerfile: context.dockerfile,
    workloads: context.workloads,
    metadata: clusterMetadata(context.metadata, context.workloads.find((w) => w.namespace !== null)?.namespace ?? null),
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

import type { InputWarnings, ReportContext } from './context.js';
import { countBySeverity, sortExceptions, sortFindings } from './findings.js';
import type { Decision, ExceptionRecord, Finding, Severity } from './model.js';

/** Bumped only on a breaking change of the shape documented in docs/decision-format.md. */
export const JSON_FORMAT_VERSION = 1;

/**
 * `--output json`: the decision in a stable envelope. Every finding carries
 * every key (null when it does not apply), so consumers can rely on paths
 * such as `.violations[].fixed_version`; lists are sorted worst first.
 */
export function formatJson(decision: Decision, context: ReportContext): string {
  return `${JSON.stringify(toJsonReport(decision, context), null, 2)}\n`;
}

export interface JsonFinding {
  readonly rule: string;
  readonly severity: Severity;
  readonly enforcement: 'deny' | 'warn';
  readonly message: string;
  readonly title: string | null;
  readonly practice: string | null;
  readonly image: string | null;
  readonly id: string | null;
  readonly package: string | null;
  readonly installed_version: string | null;
  readonly fixed_version: string | null;
  readonly location: { readonly file: string; readonly line: number | null } | null;
}

export interface JsonException {
  readonly rule: string;
  readonly reason: string;
  readonly expires: string;
  readonly id: string | null;
  readonly package: string | null;
  readonly image: string | null;
  readonly namespace: string | null;
  readonly finding: JsonFinding | null;
}

export interface JsonSummary {
  readonly violations: number;
  readonly warnings: number;
  readonly exceptions: number;
  readonly expired_exceptions: number;
  readonly violations_by_severity: Readonly<Partial<Record<Severity, number>>>;
  readonly warnings_by_severity: Readonly<Partial<Record<Severity, number>>>;
}

/** The lists of one decision, as the envelope and each image carry them. */
export interface JsonDecision {
  readonly decision: 'allow' | 'deny';
  readonly target: string;
  readonly summary: JsonSummary;
  readonly violations: readonly JsonFinding[];
  readonly warnings: readonly JsonFinding[];
  readonly exceptions: readonly JsonException[];
  readonly expired_exceptions: readonly JsonException[];
}

/** Entries of one report that a parser skipped or could not fully read. */
export interface JsonInputWarnings {
  readonly file: string;
  readonly format: string;
  readonly count: number;
  readonly by_code: Readonly<Record<string, number>>;
  readonly warnings: readonly { readonly code: string; readonly message: string; readonly path: string }[];
}

export interface JsonReport extends JsonDecision {
  readonly format_version: number;
  readonly checked_at: string | null;
  readonly tool: { readonly name: string; readonly version: string };
  readonly summary: JsonSummary & { readonly images: number; readonly input_warnings: number };
  /** Each image's own decision (one entry when one image was checked); the fields above are the overall, worst decision. */
  readonly images: readonly JsonDecision[];
  readonly input_warnings: readonly JsonInputWarnings[];
}

export function toJsonReport(decision: Decision, context: ReportContext): JsonReport {
  const overall = jsonDecision(decision, context.target);
  // One image's entry is the overall decision itself, whose lists the JSON text then writes from one stringification (jsonPieces).
  const images = context.images ? context.images.map((i) => jsonDecision(i.decision, i.target)) : [overall];
  const inputWarnings = (context.inputWarnings ?? []).filter((r) => r.warnings.length > 0).map(jsonInputWarnings);
  return {
    format_version: JSON_FORMAT_VERSION,
    decision: overall.decision,
    target: overall.target,
    checked_at: context.now ?? null,
    tool: { name: context.tool.name, version: context.tool.version },
    summary: { ...overall.summary, images: images.length, input_warnings: inputWarnings.reduce((n, r) => n + r.count, 0) },
    violations: overall.violations,
    warnings: overall.warnings,
    exceptions: overall.exceptions,
    expired_exceptions: overall.expired_exceptions,
    images,
    input_warnings: inputWarnings,
  };
}

function jsonDecision(decision: Decision, target: string): JsonDecision {
  return {
    decision: decision.decision,
    target,
    summary: {
      violations: decision.violations.length,
      warnings: decision.warnings.length,
      exceptions: decision.exceptions.length,
      expired_exceptions: decision.expired_exceptions.length,
      violations_by_severity: Object.fromEntries(countBySeverity(decision.violations)),
      warnings_by_severity: Object.fromEntries(countBySeverity(decision.warnings)),
    },
    violations: sortFindings(decision.violations).map(jsonFinding),
    warnings: sortFindings(decision.warnings).map(jsonFinding),
    exceptions: sortExceptions(decision.exceptions).map(jsonException),
    expired_exceptions: sortExceptions(decision.expired_exceptions).map(jsonException),
  };
}

function jsonInputWarnings(r: InputWarnings): JsonInputWarnings {
  const byCode: Record<string, number> = {};
  for (const w of r.warnings) byCode[w.code] = (byCode[w.code] ?? 0) + 1;
  return {
    file: r.file,
    format: r.format,
    count: r.warnings.length,
    by_code: byCode,
    warnings: r.warnings.map((w) => ({ code: w.code, message: w.message, path: w.path })),
  };
}

export function jsonFinding(f: Finding): JsonFinding {
  return {
    rule: f.rule,
    severity: f.severity,
    enforcement: f.enforcement,
    message: f.message,
    title: f.title ?? null,
    practice: f.practice ?? null,
    image: f.image ?? null,
    id: f.id ?? null,
    package: f.package ?? null,
    installed_version: f.installed_version ?? null,
    fixed_version: f.fixed_version ?? null,
    location: f.location ? { file: f.location.file, line: f.location.line ?? null } : null,
  };
}

function jsonException(e: ExceptionRecord): JsonException {
  return {
    rule: e.rule,
    reason: e.reason,
    expires: e.expires,
    id: e.id ?? null,
    package: e.package ?? null,
    image: e.image ?? null,
    namespace: e.namespace ?? null,
    finding: e.finding ? jsonFinding(e.finding) : null,
  };
}

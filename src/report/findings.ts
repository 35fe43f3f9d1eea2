import { SEVERITIES } from '../core/index.js';
import type { InputWarnings, ReportContext } from './context.js';
import type { Decision, ExceptionRecord, Finding, Severity } from './model.js';

// Ordering and grouping shared by every format, so all of them list the worst first
// and a decision renders the same way whatever order the policy produced its sets in.

export const SEVERITY_ORDER: readonly Severity[] = SEVERITIES;

export function severityRank(severity: Severity): number {
  const index = SEVERITY_ORDER.indexOf(severity);
  return index < 0 ? SEVERITY_ORDER.length : index;
}

/** Worst first, then by rule, id, package, image and message: a total order, so output is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    cmp(a.rule, b.rule) ||
    cmp(a.id, b.id) ||
    cmp(a.package, b.package) ||
    cmp(a.image, b.image) ||
    cmp(a.location?.file, b.location?.file) ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    cmp(a.message, b.message)
  );
}

export function compareExceptions(a: ExceptionRecord, b: ExceptionRecord): number {
  return cmp(a.rule, b.rule) || cmp(a.id, b.id) || cmp(a.package, b.package) || cmp(a.image, b.image) || cmp(a.expires, b.expires) || cmp(a.reason, b.reason);
}

function cmp(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

export function sortFindings(list: readonly Finding[]): Finding[] {
  return [...list].sort(compareFindings);
}

export function sortExceptions(list: readonly ExceptionRecord[]): ExceptionRecord[] {
  return [...list].sort(compareExceptions);
}

export interface RuleGroup {
  readonly rule: string;
  readonly title: string | undefined;
  /** The worst severity among the group's findings. */
  readonly severity: Severity;
  readonly findings: readonly Finding[];
  readonly bySeverity: ReadonlyMap<Severity, number>;
}

/** Findings grouped by rule; groups ordered by their worst finding, then by size (largest first), then name. */
export function groupByRule(list: readonly Finding[]): RuleGroup[] {
  const groups = new Map<string, Finding[]>();
  for (const f of sortFindings(list)) {
    const group = groups.get(f.rule) ?? [];
    group.push(f);
    groups.set(f.rule, group);
  }
  return [...groups.entries()]
    .map(([rule, findings]) => ({
      rule,
      title: findings.find((f) => f.title !== undefined)?.title,
      severity: (findings[0] as Finding).severity,
      findings,
      bySeverity: countBySeverity(findings),
    }))
    .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || b.findings.length - a.findings.length || cmp(a.rule, b.rule));
}

export function countBySeverity(list: readonly Finding[]): Map<Severity, number> {
  const counts = new Map<Severity, number>();
  for (const severity of SEVERITY_ORDER) {
    const n = list.filter((f) => f.severity === severity).length;
    if (n > 0) counts.set(severity, n);
  }
  return counts;
}

/** "3 CRITICAL, 12 HIGH" */
export function severitySummary(counts: ReadonlyMap<Severity, number>): string {
  return [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** One line of counts, the same in every human-readable format. */
export function countsLine(decision: Decision): string {
  const parts = [
    plural(decision.violations.length, 'violation'),
    plural(decision.warnings.length, 'warning'),
    plural(decision.exceptions.length, 'exception') + ' applied',
  ];
  if (decision.expired_exceptions.length > 0) parts.push(plural(decision.expired_exceptions.length, 'expired exception'));
  return parts.join(', ');
}

/** What the finding is about, for one-line listings: the package and versions of a vulnerability, else the location or image. */
export function subjectOf(f: Finding): string {
  if (f.package !== undefined) {
    const fixed = f.fixed_version ? ` (fixed in ${f.fixed_version})` : ' (no fix)';
    return `${f.package} ${f.installed_version ?? ''}`.trim() + fixed;
  }
  if (f.location) return f.location.line === undefined ? f.location.file : `${f.location.file}:${f.location.line}`;
  return f.image ?? '';
}

/** "3 SEVERITY_MISSING, 1 FIX_UNREADABLE", the most frequent first. */
export function warningCodes(warnings: InputWarnings['warnings']): string {
  const counts = new Map<string, number>();
  for (const w of warnings) counts.set(w.code, (counts.get(w.code) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))
    .map(([code, n]) => `${n} ${code}`)
    .join(', ');
}

/** The reports some entries of which were not fully read. */
export function incompleteReports(context: ReportContext): InputWarnings[] {
  return (context.inputWarnings ?? []).filter((r) => r.warnings.length > 0);
}

/** "2 report entries not fully read" or '' */
export function inputWarningsLine(context: ReportContext): string {
  const total = incompleteReports(context).reduce((n, r) => n + r.warnings.length, 0);
  return total === 0 ? '' : `${plural(total, 'report entry', 'report entries')} not fully read`;
}

/** One line: the verdict and every count, the same at the end of each human-readable format. */
export function verdictLine(decision: Decision, context: ReportContext): string {
  const extra = inputWarningsLine(context);
  return `${decision.decision.toUpperCase()} ${context.target}: ${countsLine(decision)}${extra === '' ? '' : `; ${extra}`}`;
}

/** How a file is printed: relative to the working directory when the caller says so. */
export function displayPath(file: string, context: ReportContext): string {
  return context.paths?.[file] ?? file;
}

/** The file a finding is about: its location, else the report of its image, else the first scanned file. */
export function findingFile(f: Finding, context: ReportContext): string | undefined {
  const image = context.images?.find((i) => i.target === f.image);
  return f.location?.file ?? image?.reports?.[0] ?? context.artifacts[0];
}

import type { ReportContext } from './context.js';
import { countsLine, displayPath, findingFile, incompleteReports, plural, sortExceptions, sortFindings, verdictLine, warningCodes } from './findings.js';
import type { Decision, Finding } from './model.js';

/** GitHub shows at most 10 error and 10 warning annotations per step; the rest would be dropped silently. */
export const GITHUB_ANNOTATIONS_PER_LEVEL = 10;

/**
 * `--output github`: GitHub Actions workflow commands. Findings become
 * `::error` (violation) or `::warning` annotations on the Dockerfile line, or
 * on the scanned report when the finding has no line, the worst first and at
 * most as many as GitHub shows; one line counts the rest. Reports that could
 * not be fully read come first among the warnings, one annotation each. The
 * full list sits in one collapsible log group.
 */
export function formatGithub(decision: Decision, context: ReportContext): string {
  const errors = sortFindings(decision.violations).map((f) => annotation('error', f, context));
  const warnings = [
    ...incompleteReports(context).map(
      (r) =>
        `::warning file=${property(displayPath(r.file, context))},title=${property(`portcullis: ${plural(r.warnings.length, 'entry', 'entries')} not fully read`)}::${data(warningCodes(r.warnings))}`,
    ),
    ...sortFindings(decision.warnings).map((f) => annotation('warning', f, context)),
    ...sortExceptions(decision.expired_exceptions).map(
      (e) =>
        `::warning title=${property('expired exception')}::${data(`exception for ${e.rule}${e.id ? ` ${e.id}` : ''} expired on ${e.expires}: ${e.reason}`)}`,
    ),
  ];
  const cap = GITHUB_ANNOTATIONS_PER_LEVEL;
  const hidden = Math.max(0, errors.length - cap) + Math.max(0, warnings.length - cap);
  const lines = [
    ...errors.slice(0, cap),
    ...warnings.slice(0, cap),
    ...(hidden === 0
      ? []
      : [data(`portcullis: ${hidden} more annotations not shown (GitHub shows ${cap} errors and ${cap} warnings per step); all are listed below`)]),
    `::group::${data(`portcullis ${decision.decision}: ${context.target} (${countsLine(decision)})`)}`,
    ...sortFindings(decision.violations).map((f) => data(`error ${f.rule} (${f.severity}): ${f.message}`)),
    ...sortFindings(decision.warnings).map((f) => data(`warning ${f.rule} (${f.severity}): ${f.message}`)),
    ...sortExceptions(decision.exceptions).map((e) => data(`exception applied to ${e.rule}${e.id ? ` ${e.id}` : ''}: ${e.reason} (expires ${e.expires})`)),
    ...incompleteReports(context).flatMap((r) => r.warnings.map((w) => data(`input ${displayPath(r.file, context)} ${w.path}: ${w.code}: ${w.message}`))),
    '::endgroup::',
    data(`portcullis: ${verdictLine(decision, context)}`),
  ];
  return `${lines.join('\n')}\n`;
}

function annotation(command: 'error' | 'warning', f: Finding, context: ReportContext): string {
  const raw = findingFile(f, context);
  const file = raw === undefined ? undefined : displayPath(raw, context);
  const props = [
    ...(file === undefined ? [] : [`file=${property(file)}`]),
    ...(f.location?.line === undefined ? [] : [`line=${f.location.line}`]),
    `title=${property(`${f.rule} (${f.severity})`)}`,
  ];
  return `::${command} ${props.join(',')}::${data(f.message)}`;
}

/** Escapes a command's message, as @actions/core does (toCommandValue + escapeData). */
export function data(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property, which also may not contain ':' or ','. */
export function property(value: string): string {
  return data(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

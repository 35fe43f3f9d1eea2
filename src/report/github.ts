import type { ReportContext } from './context.js';
import { countsLine, sortExceptions, sortFindings } from './findings.js';
import type { Decision, Finding } from './model.js';

/**
 * `--output github`: GitHub Actions workflow commands. Each finding becomes an
 * `::error` (violation) or `::warning` annotation on the Dockerfile line, or
 * on the scanned report when the finding has no line; everything sits in one
 * collapsible log group.
 */
export function formatGithub(decision: Decision, context: ReportContext): string {
  const lines = [
    `::group::${data(`portcullis ${decision.decision}: ${context.target} (${countsLine(decision)})`)}`,
    ...sortFindings(decision.violations).map((f) => annotation('error', f, context)),
    ...sortFindings(decision.warnings).map((f) => annotation('warning', f, context)),
    ...sortExceptions(decision.exceptions).map((e) => data(`exception applied to ${e.rule}${e.id ? ` ${e.id}` : ''}: ${e.reason} (expires ${e.expires})`)),
    ...sortExceptions(decision.expired_exceptions).map(
      (e) =>
        `::warning title=${property('expired exception')}::${data(`exception for ${e.rule}${e.id ? ` ${e.id}` : ''} expired on ${e.expires}: ${e.reason}`)}`,
    ),
    '::endgroup::',
    data(`portcullis: ${decision.decision.toUpperCase()} ${context.target}: ${countsLine(decision)}`),
  ];
  return `${lines.join('\n')}\n`;
}

function annotation(command: 'error' | 'warning', f: Finding, context: ReportContext): string {
  const file = f.location?.file ?? context.artifacts[0];
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

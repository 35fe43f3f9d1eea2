import type { ReportContext } from './context.js';
import { countsLine, displayPath, groupByRule, incompleteReports, severitySummary, sortExceptions, sortFindings, subjectOf, warningCodes } from './findings.js';
import type { Decision, ExceptionRecord, Finding } from './model.js';

/** Rows per details table: a PR comment is limited to 65,536 characters. */
export const MARKDOWN_MAX_ROWS = 100;

/**
 * `--output markdown`, for a pull-request comment: the verdict, a summary
 * table of counts and of rules, then each list in a collapsible section.
 * Text from reports and policies is escaped, so it cannot inject HTML or
 * break a table.
 */
export function formatMarkdown(decision: Decision, context: ReportContext): string {
  const verdict = decision.decision === 'deny' ? '❌ **deny**' : decision.warnings.length > 0 ? '⚠️ **allow** (with warnings)' : '✅ **allow**';
  const blocks = [
    `### portcullis: ${verdict} for \`${code(context.target)}\``,
    summaryTable(decision),
    imagesTable(context),
    inputWarnings(context),
    rulesTable(decision),
    findingsDetails('Violations', decision.violations),
    findingsDetails('Warnings', decision.warnings),
    exceptionsDetails('Exceptions applied', decision.exceptions),
    exceptionsDetails('Expired exceptions (no longer applied: renew or remove them)', decision.expired_exceptions),
    context.now === undefined ? '' : `<sub>${cell(`${context.tool.name} ${context.tool.version}, evaluated at ${context.now}`)}</sub>`,
  ];
  return `${blocks.filter((b) => b !== '').join('\n\n')}\n`;
}

function summaryTable(d: Decision): string {
  return [
    '| | Count |',
    '|---|---:|',
    `| Violations | ${d.violations.length} |`,
    `| Warnings | ${d.warnings.length} |`,
    `| Exceptions applied | ${d.exceptions.length} |`,
    `| Expired exceptions | ${d.expired_exceptions.length} |`,
  ].join('\n');
}

function imagesTable(context: ReportContext): string {
  if (!context.images || context.images.length < 2) return '';
  const rows = context.images.map((i) => `| \`${code(i.target)}\` | ${i.decision.decision} | ${cell(countsLine(i.decision))} |`);
  return ['| Image | Decision | Counts |', '|---|---|---|', ...rows].join('\n');
}

/** Reports whose entries were not all read: shown before the findings, since the decision may miss what they hold. */
function inputWarnings(context: ReportContext): string {
  const reports = incompleteReports(context);
  if (reports.length === 0) return '';
  const head = `> [!WARNING]\n> ${reports.length === 1 ? 'A report was' : `${reports.length} reports were`} not fully read: the decision cannot cover what was skipped (\`--strict\` fails instead).`;
  const rows = reports.map(
    (r) => `| \`${code(displayPath(r.file, context))}\` | ${cell(r.format)} | ${r.warnings.length} | ${cell(warningCodes(r.warnings))} |`,
  );
  const entries = reports.flatMap((r) =>
    r.warnings.map((w) => `| \`${code(displayPath(r.file, context))}\` | \`${code(w.path)}\` | ${w.code} | ${cell(w.message)} |`),
  );
  return [
    head,
    ['| Report | Format | Entries | Codes |', '|---|---|---:|---|', ...rows].join('\n'),
    details(`Entries not fully read (${entries.length})`, ['| Report | Path | Code | Message |', '|---|---|---|---|'], entries),
  ].join('\n\n');
}

function rulesTable(d: Decision): string {
  const groups = groupByRule([...d.violations, ...d.warnings]);
  if (groups.length === 0) return '';
  const rows = groups.map((g) => {
    const enforcement = [...new Set(g.findings.map((f) => f.enforcement))].join(', ');
    return `| \`${code(g.rule)}\` | ${enforcement} | ${g.findings.length} | ${severitySummary(g.bySeverity)} |`;
  });
  return ['| Rule | Enforcement | Findings | Severities |', '|---|---|---:|---|', ...rows].join('\n');
}

function findingsDetails(title: string, list: readonly Finding[]): string {
  if (list.length === 0) return '';
  const rows = sortFindings(list).map((f) => `| ${f.severity} | \`${code(f.rule)}\` | ${cell(f.id ?? '')} | ${cell(subjectOf(f))} | ${cell(f.message)} |`);
  return details(`${title} (${list.length})`, ['| Severity | Rule | ID | Subject | Message |', '|---|---|---|---|---|'], rows);
}

function exceptionsDetails(title: string, list: readonly ExceptionRecord[]): string {
  if (list.length === 0) return '';
  const rows = sortExceptions(list).map(
    (e) =>
      `| \`${code(e.rule)}\` | ${cell(e.id ?? e.finding?.id ?? '')} | ${cell(e.package ?? e.finding?.package ?? '')} | ${cell(e.expires)} | ${cell(e.reason)} |`,
  );
  return details(`${title} (${list.length})`, ['| Rule | ID | Package | Expires | Reason |', '|---|---|---|---|---|'], rows);
}

function details(summary: string, header: readonly string[], rows: readonly string[]): string {
  const shown = rows.slice(0, MARKDOWN_MAX_ROWS);
  const more = rows.length > shown.length ? [`\n… and ${rows.length - shown.length} more (see the JSON or SARIF output for the full list).`] : [];
  return [`<details><summary>${cell(summary)}</summary>`, '', ...header, ...shown, ...more, '', '</details>'].join('\n');
}

/** A table cell: HTML-escaped, pipes escaped, one line. */
function cell(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inside backticks only a backtick can break out. */
function code(value: string): string {
  return value.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

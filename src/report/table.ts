import { renderTable } from './text-table.js';
import type { ReportContext } from './context.js';
import {
  countsLine,
  displayPath,
  groupByRule,
  incompleteReports,
  plural,
  severitySummary,
  sortExceptions,
  subjectOf,
  verdictLine,
  warningCodes,
  type RuleGroup,
} from './findings.js';
import type { Decision, ExceptionRecord, Finding } from './model.js';

/** Optional columns, shown for a rule group only when one of its findings has a value. */
const COLUMNS: readonly { header: string; value: (f: Finding) => string | undefined }[] = [
  { header: 'ID', value: (f) => f.id },
  { header: 'PACKAGE', value: (f) => f.package },
  { header: 'INSTALLED', value: (f) => f.installed_version },
  { header: 'FIXED', value: (f) => (f.package === undefined ? f.fixed_version : f.fixed_version || '-') },
  { header: 'LOCATION', value: (f) => (f.location ? (f.location.line === undefined ? f.location.file : `${f.location.file}:${f.location.line}`) : undefined) },
];

/** Input warnings listed one by one per report; the rest are counted. */
const WARNINGS_SHOWN = 10;

/**
 * `--output table`, for a person at a terminal: the verdict and counts first,
 * then each image's verdict when there were several, the findings grouped by
 * rule (worst rule first), exceptions, the report entries that could not be
 * fully read, and last a one-line verdict again, for logs read from the bottom.
 */
export function formatTable(decision: Decision, context: ReportContext): string {
  const sections = [
    `${decision.decision.toUpperCase()}  ${context.target}\n${countsLine(decision)}`,
    imagesSection(context),
    findingsSection('VIOLATIONS', decision.violations),
    findingsSection('WARNINGS', decision.warnings),
    exceptionsSection('EXCEPTIONS APPLIED', decision.exceptions),
    exceptionsSection('EXPIRED EXCEPTIONS (no longer applied: renew or remove them)', decision.expired_exceptions),
    inputWarningsSection(context),
    verdictLine(decision, context),
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

function imagesSection(context: ReportContext): string {
  if (!context.images || context.images.length < 2) return '';
  const rows = context.images.map((i) => [i.decision.decision.toUpperCase(), i.target, countsLine(i.decision)]);
  return `IMAGES (each decided on its own findings)\n${indent(renderTable(['DECISION', 'IMAGE', 'COUNTS'], rows))}`;
}

function inputWarningsSection(context: ReportContext): string {
  const reports = incompleteReports(context);
  if (reports.length === 0) return '';
  const blocks = reports.map((r) => {
    const rows = r.warnings.slice(0, WARNINGS_SHOWN).map((w) => [w.code, w.path, oneLine(w.message)]);
    const more = r.warnings.length > rows.length ? `\n  … and ${r.warnings.length - rows.length} more (see --output json)` : '';
    const head = `${displayPath(r.file, context)} (${r.format}): ${plural(r.warnings.length, 'entry', 'entries')} not fully read: ${warningCodes(r.warnings)}`;
    return `${head}\n${indent(renderTable(['CODE', 'PATH', 'MESSAGE'], rows))}${more}`;
  });
  return ['INPUT WARNINGS (use --strict to fail on them)', ...blocks].join('\n\n');
}

function findingsSection(heading: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return '';
  return [heading, ...groupByRule(findings).map(groupBlock)].join('\n\n');
}

function groupBlock(group: RuleGroup): string {
  const title = group.title === undefined ? '' : ` - ${group.title}`;
  const head = `${group.rule}: ${plural(group.findings.length, 'finding')} (${severitySummary(group.bySeverity)})${title}`;
  const images = new Set(group.findings.map((f) => f.image).filter((i) => i !== undefined));
  const columns = COLUMNS.filter((c) => group.findings.some((f) => c.value(f) !== undefined));
  const showImage = images.size > 1;
  const showMessage = !group.findings.some((f) => f.package !== undefined);
  const headers = ['SEVERITY', ...columns.map((c) => c.header), ...(showImage ? ['IMAGE'] : []), ...(showMessage ? ['MESSAGE'] : [])];
  const rows = group.findings.map((f) => [
    f.severity,
    ...columns.map((c) => c.value(f) ?? ''),
    ...(showImage ? [f.image ?? ''] : []),
    ...(showMessage ? [oneLine(f.message)] : []),
  ]);
  return `${head}\n${indent(renderTable(headers, rows))}`;
}

function exceptionsSection(heading: string, list: readonly ExceptionRecord[]): string {
  if (list.length === 0) return '';
  const rows = sortExceptions(list).map((e) => [e.rule, e.id ?? e.finding?.id ?? '', exceptionSubject(e), e.expires, oneLine(e.reason)]);
  return `${heading}\n${indent(renderTable(['RULE', 'ID', 'SUBJECT', 'EXPIRES', 'REASON'], rows))}`;
}

/** What the exception covered: the suppressed finding when known, else the scope it was written for. */
function exceptionSubject(e: ExceptionRecord): string {
  if (e.finding) return subjectOf(e.finding);
  return [e.package, e.image, e.namespace === undefined ? undefined : `namespace ${e.namespace}`].filter(Boolean).join(', ');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

// Output formats for a policy decision: pure functions from the decision model
// (model.ts) to text. The registry below drives `--output` and its help text.

import type { Formatter } from './context.js';
import { formatGithub } from './github.js';
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import { formatMarkdown } from './markdown.js';
import { formatSarif } from './sarif.js';
import { formatTable } from './table.js';
import { AppError } from '../core/index.js';

export type { AppliedException, Decision, ExceptionRecord, ExpiredException, Finding, FindingLocation, Severity, Enforcement } from './model.js';
export { findingKey } from './context.js';
export type { Formatter, ImageDecision, InputWarnings, ReportContext, RuleHelp } from './context.js';
export { toJsonReport, jsonFinding, JSON_FORMAT_VERSION } from './json.js';
export type { JsonDecision, JsonException, JsonFinding, JsonInputWarnings, JsonReport, JsonSummary } from './json.js';
export { SARIF_SCHEMA_URI } from './sarif.js';
export { humanBytes, renderTable } from './text-table.js';
export { compareFindings, groupByRule, sortFindings, SEVERITY_ORDER, warningCodes } from './findings.js';

export interface OutputFormat {
  readonly name: string;
  readonly description: string;
  /** The media type an HTTP response in this format carries. */
  readonly mediaType: string;
  readonly format: Formatter;
}

export const formats: readonly OutputFormat[] = [
  { name: 'table', description: 'for a person: findings grouped by rule, worst first', mediaType: 'text/plain; charset=utf-8', format: formatTable },
  { name: 'json', description: 'the decision in a stable, documented envelope', mediaType: 'application/json', format: formatJson },
  { name: 'sarif', description: 'SARIF 2.1.0 for code scanning, pointing at Dockerfile lines', mediaType: 'application/sarif+json', format: formatSarif },
  { name: 'junit', description: 'JUnit XML, a testsuite per target', mediaType: 'application/xml', format: formatJunit },
  { name: 'github', description: 'GitHub Actions ::error/::warning annotations', mediaType: 'text/plain; charset=utf-8', format: formatGithub },
  { name: 'markdown', description: 'a pull-request comment with collapsible details', mediaType: 'text/markdown; charset=utf-8', format: formatMarkdown },
];

export const FORMAT_NAMES: readonly string[] = formats.map((f) => f.name);

export function getOutputFormat(name: string): OutputFormat {
  const found = formats.find((f) => f.name === name);
  if (!found) throw new AppError('USAGE', `unknown output format '${name}' (known: ${FORMAT_NAMES.join(', ')})`);
  return found;
}

export function getFormatter(name: string): Formatter {
  return getOutputFormat(name).format;
}

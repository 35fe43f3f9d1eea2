import { AppError, compileSchema } from '../../core/index.js';
import { parseCycloneDx } from './cyclonedx.js';
import { cyclonedxSchema } from './cyclonedx-schema.js';
import { parseGrype } from './grype.js';
import { grypeReportSchema } from './grype-schema.js';
import { isOperatorReport, operatorArraySchema, operatorListSchema, operatorReportSchema, parseOperator } from './operator.js';
import { REPORT_FORMATS, type ParsedReport, type ReportFormat } from './report.js';
import { parseSarif, sarifSchema } from './sarif.js';
import { parseTrivy } from './trivy.js';
import { K8S_RESOURCE_LISTS, parseTrivyK8s } from './trivy-k8s.js';
import { trivyK8sSchema, trivyLegacySchema, trivyReportSchema } from './trivy-schema.js';
import { rec, text } from './values.js';

export { REPORT_FORMATS };
export type { ParsedReport, ReportFormat };

type Check = (value: unknown, source: string) => unknown;

const check = {
  trivy: compileSchema<unknown>(trivyReportSchema, 'INPUT_INVALID'),
  trivyLegacy: compileSchema<unknown>(trivyLegacySchema, 'INPUT_INVALID'),
  trivyK8s: compileSchema<unknown>(trivyK8sSchema, 'INPUT_INVALID'),
  grype: compileSchema<unknown>(grypeReportSchema, 'INPUT_INVALID'),
  operator: compileSchema<unknown>(operatorReportSchema, 'INPUT_INVALID'),
  operatorList: compileSchema<unknown>(operatorListSchema, 'INPUT_INVALID'),
  operatorArray: compileSchema<unknown>(operatorArraySchema, 'INPUT_INVALID'),
  cyclonedx: compileSchema<unknown>(cyclonedxSchema, 'INPUT_INVALID'),
  sarif: compileSchema<unknown>(sarifSchema, 'INPUT_INVALID'),
};

interface FormatHandler {
  readonly check: (raw: unknown) => Check;
  readonly parse: (raw: unknown, file: string) => ParsedReport;
}

const HANDLERS: Readonly<Record<ReportFormat, FormatHandler>> = {
  trivy: { check: (raw) => (raw === null || Array.isArray(raw) ? check.trivyLegacy : check.trivy), parse: parseTrivy },
  'trivy-k8s': { check: () => check.trivyK8s, parse: parseTrivyK8s },
  'trivy-operator': {
    check: (raw) => (Array.isArray(raw) ? check.operatorArray : isOperatorReport(rec(raw)) ? check.operator : check.operatorList),
    parse: parseOperator,
  },
  grype: { check: () => check.grype, parse: parseGrype },
  cyclonedx: { check: () => check.cyclonedx, parse: parseCycloneDx },
  sarif: { check: () => check.sarif, parse: parseSarif },
};

/** Recognises a report by its shape, never by its file name. */
export function detectReportFormat(raw: unknown): ReportFormat | null {
  if (Array.isArray(raw) && raw.length > 0 && raw.every((r) => isOperatorReport(rec(r)))) return 'trivy-operator';
  if (raw === null || Array.isArray(raw)) return isLegacyTrivy(raw) ? 'trivy' : null;
  if (typeof raw !== 'object') return null;
  const doc = raw as Record<string, unknown>;
  if (isTrivyK8s(doc)) return 'trivy-k8s';
  if ('SchemaVersion' in doc || ('ArtifactName' in doc && 'Results' in doc)) return 'trivy';
  if (Array.isArray(doc['matches'])) return 'grype';
  if (isOperatorReport(doc) || isOperatorList(doc)) return 'trivy-operator';
  if (doc['bomFormat'] === 'CycloneDX') return 'cyclonedx';
  if (Array.isArray(doc['runs']) && typeof doc['version'] === 'string' && doc['version'].startsWith('2.')) return 'sarif';
  return null;
}

/** Any layout of `trivy k8s` (ClusterName, or lists of workloads without a SchemaVersion 2 image report's ArtifactName), or a compliance summary. */
function isTrivyK8s(doc: Record<string, unknown>): boolean {
  if ('ClusterName' in doc || Array.isArray(doc['SummaryControls'])) return true;
  if ('ArtifactName' in doc || 'Results' in doc) return false;
  return K8S_RESOURCE_LISTS.some((list) => Array.isArray(doc[list]) && (doc[list] as unknown[]).some((r) => rec(r)['Kind'] !== undefined));
}

function isLegacyTrivy(raw: unknown[] | null): boolean {
  return raw === null || raw.every((r) => r !== null && typeof r === 'object' && 'Target' in r);
}

function isOperatorList(doc: Record<string, unknown>): boolean {
  const items = doc['items'];
  return Array.isArray(items) && items.length > 0 && items.every((i) => isOperatorReport(rec(i)));
}

const SUPPORTED = REPORT_FORMATS.join(', ');

export function assertReportFormat(name: string): ReportFormat {
  if ((REPORT_FORMATS as readonly string[]).includes(name)) return name as ReportFormat;
  throw new AppError('USAGE', `unknown report format "${name}"; supported formats: ${SUPPORTED}`);
}

/** Shape-checks and maps one parsed document; `format` overrides detection. */
export function parseReportDocument(raw: unknown, file: string, format?: ReportFormat): ParsedReport {
  const chosen = format ?? detectReportFormat(raw);
  if (!chosen) throw unrecognised(raw, file);
  const handler = HANDLERS[chosen];
  handler.check(raw)(raw, `${file} (as ${chosen})`);
  return handler.parse(raw, file);
}

function unrecognised(raw: unknown, file: string): AppError {
  const kind = text(rec(raw)['kind']);
  const hint = kind ? ` (it is a Kubernetes ${kind}; pass it as a manifest)` : '';
  return new AppError('INPUT_INVALID', `${file}: unrecognised report format${hint}; supported formats: ${SUPPORTED}`, {
    details: [{ file, message: `unrecognised report format; supported: ${SUPPORTED}` }],
  });
}

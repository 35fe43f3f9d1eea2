// What runs where, and what it violates now: the runtime inventory (snapshots,
// admission, Trivy Operator reports), its continuous re-evaluation with the
// served image policy, and the query layer over the current findings that the
// JSON API, the CLI and the console share.

export { InventoryEngine } from './engine.js';
export type { Clock, EngineDependencies, EngineObserver, InventorySettings } from './engine.js';
export { contextOf, namespaceMetadata } from './context.js';
export type { ClusterSettings, ContextOptions } from './context.js';
export { InlineEvaluator, WorkerPool } from './pool.js';
export type { Evaluator, PolicyLimits } from './pool.js';
export { evaluateUnit, atTime } from './evaluate.js';
export type { EvaluationModes, UnitOutcome, UnitTask } from './evaluate.js';
export { decisionPolicyOf } from './policy.js';
export type { ServedRevision } from './policy.js';
export { decisionFindings, fingerprintOf, findingsHash, planFindings, unresolvedDigestFinding, unscannedFinding, withHash } from './findings.js';
export { parseSnapshot, parseSnapshotDocument, prepareSnapshotDocument } from './snapshot.js';
export type { ImportWarning, ParsedSnapshot, PreparedSnapshot, ReportItem, RunningItem } from './snapshot.js';
export { assertClusterName, importInventory } from './ingest.js';
export type { ImportDependencies, ImportOptions, ImportResult } from './ingest.js';
export { recordAdmission } from './admission.js';
export { CurrentVerdicts, VERDICT_TTL_MS } from './verdicts.js';
export type { ImageVerdict, ScanReader } from './verdicts.js';
export {
  DEFAULT_PAGE_LIMITS,
  FILTER_PARAMETERS,
  FINDING_COLUMNS,
  FINDING_FORMATS,
  FINDING_STATES,
  FINDING_TABLE,
  GROUP_FIELDS,
  SORT_FIELDS,
  findingQueryParams,
  findingsBody,
  groupColumns,
  isGroupPage,
  parseFindingQuery,
  runFindingQuery,
} from './query.js';
export type { FindingColumn, FindingFormat, FindingQuery, PageLimits } from './query.js';
export {
  RUNNING_COLUMNS,
  VULNERABILITY_LIMIT,
  VULNERABILITY_WORKLOAD_COLUMNS,
  assertDigest,
  imageFacts,
  imageView,
  parseVulnerabilityQuery,
  vulnerabilityFacts,
  vulnerabilityPath,
  vulnerabilityView,
} from './views.js';
export type { ImageView, ScanSummary, VulnerabilityQuery } from './views.js';
export { REPORT_FORMATS, REPORT_NAME, kubernetesReports, reportsFromStore } from './reports.js';
export type { KubernetesReport, ReportFormat, ReportOptions } from './reports.js';
export { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, WebhookDeliverer, signBody } from './webhook.js';
export type { DelivererDependencies, WebhookSettings } from './webhook.js';
export { fileClock } from './clock.js';

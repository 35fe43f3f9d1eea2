export { openStore } from './open.js';
export { openChangeFeed } from './changes.js';
export type { ChangeFeed, ChangeTopic } from './changes.js';
export type { StoreConfig } from './open.js';
export { startRetention } from './retention.js';
export type { RetentionOptions } from './retention.js';
export { TOKEN_SCOPES } from './types.js';
export type {
  Agent,
  AgentState,
  AuthIdentity,
  BundleReport,
  Decision,
  DecisionPage,
  DecisionQuery,
  DecisionRecord,
  ReportedError,
  RetentionPolicy,
  ScanHead,
  ScanInputSummary,
  ScanRecord,
  StoredScanRecord,
  StatusRecord,
  Store,
  TokenRecord,
  TokenScope,
} from './types.js';
export { mintToken, verifyToken } from './tokens.js';
export type { NewToken } from './tokens.js';
export { toEventFinding } from './inventory-writes.js';
export type {
  ChangeEvent,
  ClaimedUnit,
  ContainerType,
  ContextSpec,
  CurrentFinding,
  Delivery,
  DeliveryRecord,
  Enforcement,
  EventFinding,
  FindingContent,
  FindingCount,
  FindingTrendPoint,
  OpenFindingCount,
  FindingFilter,
  FindingGroup,
  FindingPage,
  FindingPlan,
  FindingPlanner,
  FindingQuerySpec,
  FindingRecord,
  FindingState,
  GroupField,
  GroupPage,
  GroupQuerySpec,
  InventorySource,
  InventoryStatus,
  InventoryStore,
  InventoryWrite,
  InventoryWriteResult,
  OutboxItem,
  RunningDecision,
  RunningDecisionCount,
  RunningRecord,
  RunningSpec,
  ScanWrite,
  SortField,
  UnitRecord,
  UnitResult,
  VulnerabilityView,
} from './inventory-types.js';

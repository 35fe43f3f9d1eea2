// The persistence model of the runtime inventory: what runs where, the
// evaluation units it is decided in, and the current findings. The logic that
// fills it lives in src/inventory; the SQL for both stores in inventory-sql.ts.

export type FindingState = 'open' | 'resolved' | 'excepted';
export type Enforcement = 'deny' | 'warn';
export type ContainerType = 'container' | 'initContainer' | 'ephemeralContainer';
export type InventorySource = 'snapshot' | 'admission' | 'operator';

/** One finding as an evaluation produces it, before it is attached to a running container. */
export interface FindingContent {
  /** Stable identity within one running container: rule, vulnerability, package and version (or message). */
  readonly fingerprint: string;
  readonly rule: string;
  readonly enforcement: Enforcement;
  /** open, or excepted when a valid exception suppresses it. */
  readonly state: 'open' | 'excepted';
  readonly severity: string;
  readonly severityRank: number;
  readonly vulnId: string;
  readonly package: string;
  readonly installedVersion: string;
  readonly fixedVersion: string;
  readonly fixable: boolean;
  /** Publication of the vulnerability (ms since the epoch), when the scanner gives it. */
  readonly published: number | null;
  readonly score: number | null;
  readonly title: string;
  readonly message: string;
  readonly exception: { readonly reason: string; readonly expires: string } | null;
  /** Hash of every field above; equal hashes mean nothing to write. */
  readonly contentHash: string;
}

/** A running container as an import or admission asserts it. */
export interface RunningSpec {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly container: string;
  readonly containerType: ContainerType;
  /** The image reference as the workload spec gives it. */
  readonly image: string;
  /** registry/repository, normalized. */
  readonly repository: string;
  /** sha256 digest of what runs, or null when it cannot be resolved. */
  readonly digest: string | null;
  readonly replicas: number;
  /** Findings that belong to the container itself, not to an image evaluation (unresolved_digest). */
  readonly findings: readonly FindingContent[];
}

/** The policy-facing metadata of one namespace, as `check --metadata` gives it, and its identity. */
export interface ContextSpec {
  /** Hash of the canonical metadata: equal metadata, one evaluation. */
  readonly key: string;
  readonly environment: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface InventoryWrite {
  readonly cluster: string;
  readonly source: InventorySource;
  /**
   * snapshot: the write lists everything running in the cluster, so every
   * other live container of it is gone; source: only containers last
   * asserted by the same source are (an operator import); none: nothing is.
   */
  readonly completeness: 'snapshot' | 'source' | 'none';
  readonly namespaces: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>> }[];
  readonly running: readonly RunningSpec[];
  /** Workloads the write describes completely (an admitted template, a DELETE): their other live containers are gone. */
  readonly completeWorkloads?: readonly { readonly namespace: string; readonly kind: string; readonly name: string }[];
  /** Scans that arrived with the write (Trivy Operator reports), stored in the same transaction. */
  readonly scans?: readonly ScanWrite[];
  /** The metadata of every namespace the write touches. */
  readonly contexts: ReadonlyMap<string, ContextSpec>;
  /** Content hash of a snapshot, to recognise a duplicate. */
  readonly snapshotHash?: string;
  readonly at: Date;
  readonly revision: string;
}

export interface ScanWrite {
  readonly digest: string;
  readonly image: string;
  readonly input: unknown;
  readonly decision: unknown;
}

export interface InventoryWriteResult {
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly gone: number;
  readonly units: number;
  /** The same snapshot as the last one applied: nothing was written. */
  readonly duplicate: boolean;
}

/** A unit claimed for evaluation: one digest in one namespace context. */
export interface ClaimedUnit {
  readonly id: number;
  readonly digest: string;
  readonly contextKey: string;
  readonly environment: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The dirty generation claimed; a newer one means evaluate again. */
  readonly generation: number;
  /** The latest scan of the digest (its sequence number), or null when none is stored. */
  readonly scanSeq: number | null;
}

/** What one evaluation of a unit found, in the form the write needs. */
export interface UnitResult {
  readonly decision: 'allow' | 'deny' | 'unscanned';
  readonly summary: string;
  readonly violations: number;
  readonly warnings: number;
  readonly findings: readonly FindingContent[];
  /** Hash of the findings; equal to the stored one means no container needs a write. */
  readonly hash: string;
  readonly revisionEtag: string;
  readonly revision: string;
  readonly evaluatedAt: Date;
  readonly scanSeq: number | null;
}

/** A change of a running container's deny-level findings, queued for the webhook in the same transaction. */
export interface ChangeEvent {
  readonly type: 'findings.changed';
  readonly occurred_at: string;
  readonly workload: {
    readonly cluster: string;
    readonly namespace: string;
    readonly kind: string;
    readonly name: string;
    readonly container: string;
    readonly image: string;
    readonly digest: string | null;
  };
  readonly opened: readonly EventFinding[];
  readonly resolved: readonly (EventFinding & { readonly reason: string })[];
}

export interface EventFinding {
  readonly fingerprint: string;
  readonly rule: string;
  readonly severity: string;
  readonly vulnerability_id: string | null;
  readonly package: string | null;
  readonly installed_version: string | null;
  readonly fixed_version: string | null;
  readonly message: string;
}

export interface OutboxItem {
  readonly id: number;
  readonly body: string;
  readonly attempts: number;
}

export interface DeliveryRecord {
  readonly outboxId: number;
  readonly attempt: number;
  readonly at: Date;
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  /** delivered, retry at this time, or dead (attempts exhausted). */
  readonly outcome: { readonly kind: 'delivered' } | { readonly kind: 'retry'; readonly at: Date } | { readonly kind: 'dead' };
}

export interface Delivery {
  readonly outbox_id: number;
  readonly attempt: number;
  readonly at: string;
  readonly status: number | null;
  readonly error: string | null;
  readonly duration_ms: number;
}

/** A finding as queries return it. */
export interface FindingRecord {
  readonly id: number;
  /** The finding's identity within its container, stable across revisions (change events carry it too). */
  readonly fingerprint: string;
  readonly state: FindingState;
  readonly enforcement: Enforcement;
  readonly rule: string;
  readonly severity: string;
  readonly vulnerability_id: string | null;
  readonly package: string | null;
  readonly installed_version: string | null;
  readonly fixed_version: string | null;
  readonly fixable: boolean;
  readonly published: string | null;
  readonly age_days: number;
  readonly cvss_score: number | null;
  readonly title: string | null;
  readonly message: string;
  readonly exception: { readonly reason: string; readonly expires: string } | null;
  readonly cluster: string;
  readonly namespace: string;
  readonly environment: string | null;
  readonly workload_kind: string;
  readonly workload_name: string;
  readonly container: string;
  readonly image: string;
  readonly repository: string;
  readonly digest: string | null;
  readonly revision: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly resolved_at: string | null;
}

export type SortField = 'severity' | 'age' | 'first_seen' | 'namespace' | 'workload' | 'image' | 'vulnerability' | 'package';
export type GroupField = 'cve' | 'image' | 'workload' | 'namespace' | 'package';

/** Filters of a finding query; every one given must hold (AND). Globs use `*` and `?`. */
export interface FindingFilter {
  readonly cluster?: string;
  readonly namespace?: string;
  readonly environment?: string;
  /** Workload name glob, optionally `Kind/name`. */
  readonly workload?: string;
  readonly repository?: string;
  readonly digest?: string;
  readonly rule?: string;
  readonly severityAtLeast?: number;
  readonly vulnerabilityId?: string;
  readonly package?: string;
  readonly fixable?: boolean;
  /** Days since publication (or first seen when the scanner gives no date), at least. */
  readonly minAgeDays?: number;
  readonly firstSeenBefore?: Date;
  readonly firstSeenAfter?: Date;
  readonly enforcement?: Enforcement;
  /** Absent: every state. */
  readonly states?: readonly FindingState[];
}

export interface FindingQuerySpec extends FindingFilter {
  readonly sort: SortField;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly cursor?: string;
  /** The time ages are counted to. */
  readonly now: Date;
  /** Count every match; otherwise the total stops at 10,000 (total_exact false). */
  readonly exactTotal?: boolean;
}

export interface FindingPage {
  readonly findings: readonly FindingRecord[];
  /** Matches of the filters, at most 10,000 unless counted exactly. */
  readonly total: number;
  readonly total_exact: boolean;
  readonly next_cursor?: string;
}

export interface GroupQuerySpec extends FindingFilter {
  readonly groupBy: GroupField;
  readonly limit: number;
  readonly cursor?: string;
  readonly now: Date;
}

export interface FindingGroup {
  readonly key: Readonly<Record<string, string | null>>;
  readonly findings: number;
  readonly deny: number;
  readonly warn: number;
  readonly max_severity: string;
  readonly workloads: number;
}

export interface GroupPage {
  readonly groups: readonly FindingGroup[];
  readonly next_cursor?: string;
}

/** A running container as queries return it. */
export interface RunningRecord {
  readonly cluster: string;
  readonly namespace: string;
  readonly environment: string | null;
  readonly kind: string;
  readonly name: string;
  readonly container: string;
  readonly container_type: ContainerType;
  readonly image: string;
  readonly repository: string;
  readonly digest: string | null;
  readonly replicas: number;
  readonly source: InventorySource;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly gone_at: string | null;
}

/** The evaluation of one digest in one namespace context, as the provider and image views read it. */
export interface UnitRecord {
  readonly digest: string;
  readonly context_key: string;
  readonly environment: string | null;
  readonly namespace: string | null;
  readonly cluster: string | null;
  readonly decision: 'allow' | 'deny' | 'unscanned' | null;
  readonly summary: string | null;
  readonly revision_etag: string | null;
  readonly revision: string | null;
  readonly evaluated_at: string | null;
  readonly pending: boolean;
  readonly violations: number;
  readonly warnings: number;
}

export interface VulnerabilityView {
  readonly id: string;
  readonly title: string | null;
  readonly severity: string;
  readonly max_cvss_score: number | null;
  readonly published: string | null;
  readonly first_seen: string;
  readonly fixed_versions: readonly string[];
  readonly packages: readonly { readonly name: string; readonly installed_version: string; readonly fixed_version: string | null }[];
  readonly images: readonly {
    readonly digest: string | null;
    readonly repository: string;
    readonly image: string;
    readonly first_seen: string;
    readonly workloads: number;
    readonly namespaces: number;
  }[];
  readonly namespaces: readonly { readonly cluster: string; readonly namespace: string; readonly environment: string | null; readonly findings: number }[];
  readonly workloads: readonly {
    readonly cluster: string;
    readonly namespace: string;
    readonly kind: string;
    readonly name: string;
    readonly container: string;
    readonly digest: string | null;
    readonly enforcement: Enforcement;
    readonly state: FindingState;
    readonly first_seen: string;
  }[];
  /** How many entries each list has before the cut, and how many findings the view counts. */
  readonly counts: {
    readonly findings: number;
    readonly packages: number;
    readonly images: number;
    readonly namespaces: number;
    readonly workloads: number;
  };
  /** A list above was cut at the query's limit (its full length is in counts). */
  readonly truncated: boolean;
}

export interface InventoryStatus {
  readonly clusters: readonly { readonly name: string; readonly first_seen: string; readonly last_snapshot_at: string | null; readonly running: number }[];
  readonly running: number;
  readonly units: number;
  readonly pending_units: number;
  readonly open_findings: number;
  /** The policy revision every unit is decided under (its ETag and manifest revision). */
  readonly revision_etag: string | null;
  readonly revision: string | null;
  readonly last_tick_at: string | null;
  readonly outbox_pending: number;
}

/** Open findings by namespace, severity and enforcement: the Prometheus gauges. */
export interface FindingCount {
  readonly cluster: string;
  readonly namespace: string;
  readonly severity: string;
  readonly enforcement: Enforcement;
  readonly count: number;
}

/** What a live container's image was last decided: the console's overview. */
export type RunningDecision = 'deny' | 'warn' | 'allow' | 'unscanned' | 'pending' | 'unresolved';

export interface RunningDecisionCount {
  readonly decision: RunningDecision;
  readonly count: number;
}

/** Open findings of one namespace (in any cluster), severity and enforcement: the console's overview. */
export interface OpenFindingCount {
  readonly namespace: string;
  readonly severityRank: number;
  readonly enforcement: Enforcement;
  readonly count: number;
}

/** Open deny-level findings at the end of each day, oldest first. */
export interface FindingTrendPoint {
  /** The day, YYYY-MM-DD (UTC). */
  readonly day: string;
  readonly open: number;
}

/** Decides what a container's findings become; pure, supplied by src/inventory. */
export type FindingPlanner = (current: readonly CurrentFinding[], next: readonly FindingContent[]) => FindingPlan;

/** A finding as stored for one running container, enough to diff against a new evaluation. */
export interface CurrentFinding {
  readonly id: number;
  readonly fingerprint: string;
  readonly contentHash: string;
  readonly state: FindingState;
  readonly enforcement: Enforcement;
  readonly rule: string;
  readonly severity: string;
  readonly vulnId: string;
  readonly package: string;
  readonly installedVersion: string;
  readonly fixedVersion: string;
  readonly fixable: boolean;
  readonly message: string;
}

export interface FindingPlan {
  /** New fingerprints, or resolved ones that are back. */
  readonly upserts: readonly FindingContent[];
  /** Live findings whose content changed, by id. */
  readonly updates: readonly (FindingContent & { readonly id: number })[];
  /** Live findings no longer found. */
  readonly resolves: readonly CurrentFinding[];
  readonly opened: readonly EventFinding[];
  readonly resolved: readonly (EventFinding & { readonly reason: string })[];
}

/** The inventory half of the store; every method that writes is one transaction. */
/** What one prune of the inventory's history deleted. */
export interface HistoryPruned {
  readonly containers: number;
  readonly findings: number;
  /** Webhook events delivered or given up on, with their delivery attempts. */
  readonly events: number;
}

export interface InventoryStore {
  knownCluster(name: string): Promise<boolean>;
  namespaceLabels(cluster: string): Promise<ReadonlyMap<string, Readonly<Record<string, string>>>>;
  /** Namespaces with live containers or stored labels, by cluster: contexts are recomputed for them at start. */
  namespaces(): Promise<readonly { readonly cluster: string; readonly name: string }[]>;
  applyWrite(write: InventoryWrite, planner: FindingPlanner, eventsEnabled: boolean): Promise<InventoryWriteResult>;
  /** Moves live containers of these namespaces to new contexts (metadata changed), marking units dirty. */
  updateContexts(cluster: string, contexts: ReadonlyMap<string, ContextSpec>, at: Date, revision: string, planner: FindingPlanner): Promise<number>;
  /** Marks units for evaluation; returns how many. */
  markDirty(scope: { readonly all: true } | { readonly digests: readonly string[] }, priority: number): Promise<number>;
  claimUnits(owner: string, limit: number, leaseMs: number, now: Date): Promise<ClaimedUnit[]>;
  /** The normalized input of each scan, as JSON text, by scan sequence number. */
  scanInputs(seqs: readonly number[]): Promise<ReadonlyMap<number, string>>;
  /** Writes a unit's result and fans it out to its live containers; false when the claim was lost. */
  completeUnit(owner: string, unit: ClaimedUnit, result: UnitResult, planner: FindingPlanner, eventsEnabled: boolean): Promise<boolean>;
  /** The same for a batch, in one transaction; the ids of the units written (claims lost are skipped). */
  completeUnits(
    owner: string,
    items: readonly { readonly unit: ClaimedUnit; readonly result: UnitResult }[],
    planner: FindingPlanner,
    eventsEnabled: boolean,
  ): Promise<number[]>;
  releaseClaims(owner: string): Promise<void>;
  /**
   * After a pass that rewrote most findings: PostgreSQL vacuums the findings,
   * so the groupings' and views' index-only reads stop visiting every
   * rewritten row's page to check it is visible (a page's visibility is lost
   * when any row on it is rewritten, and autovacuum restores it only a minute
   * or more later), and analyzes them, so the planner sees what the pass
   * wrote (a query planned on the statistics of an empty or much smaller
   * table picked another index and took ten times as long until autovacuum's
   * analyze came by). SQLite's indexes need no such step.
   */
  afterLargePass(): Promise<void>;
  /**
   * Deletes the history from before `before`: containers gone then, with
   * their findings; findings resolved then; webhook events delivered or given
   * up on then, with their delivery attempts.
   */
  pruneHistory(before: Date): Promise<HistoryPruned>;
  getState(key: string): Promise<string | undefined>;
  /**
   * Sets a state value when it still holds `expected` (undefined: absent);
   * false when another process got there first. With `dirtyPriority`, every
   * unit is queued in the same transaction (a new revision, a tick).
   */
  compareAndSetState(key: string, expected: string | undefined, value: string, dirtyPriority?: number): Promise<boolean>;
  queryFindings(spec: FindingQuerySpec): Promise<FindingPage>;
  groupFindings(spec: GroupQuerySpec): Promise<GroupPage>;
  vulnerability(id: string, states: readonly FindingState[], limit: number): Promise<VulnerabilityView | undefined>;
  runningOf(
    filter: { readonly digest?: string; readonly cluster?: string; readonly namespace?: string; readonly live: boolean },
    limit: number,
  ): Promise<RunningRecord[]>;
  unitsOf(digest: string): Promise<UnitRecord[]>;
  unitFor(digest: string, contextKey: string): Promise<UnitRecord | undefined>;
  status(): Promise<InventoryStatus>;
  findingCounts(): Promise<FindingCount[]>;
  /** Live running containers by the decision on their image (deny, warn, allow; unscanned, pending, unresolved digest). */
  runningByDecision(): Promise<RunningDecisionCount[]>;
  /** Open deny-level findings at the end of each of the `days` days up to `now`, from first-seen and resolved times. */
  denyTrend(now: Date, days: number): Promise<FindingTrendPoint[]>;
  /** Open findings by namespace (across clusters), severity rank and enforcement, from the summary kept with the findings. */
  openFindingSummary(): Promise<OpenFindingCount[]>;
  claimOutbox(owner: string, limit: number, leaseMs: number, now: Date): Promise<OutboxItem[]>;
  recordDelivery(owner: string, record: DeliveryRecord): Promise<void>;
  deliveries(outboxId?: number): Promise<Delivery[]>;
}

import type { InventoryStore } from './inventory-types.js';

/** What the server keeps about one agent, from its latest status report. */
export interface StatusRecord {
  readonly agentId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly opaVersion?: string;
  readonly partition?: string;
  readonly auth?: AuthIdentity;
  readonly receivedAt: Date;
  /** The agent's reported state, already normalised (see AgentState); stored as JSON. */
  readonly state: AgentState;
}

/** Who a token says the caller is, recorded next to what the caller sent. */
export interface AuthIdentity {
  readonly tokenId: string;
  readonly agent?: string;
  readonly group?: string;
}

/** One bundle (or the discovery bundle) as the agent last reported it. */
export interface BundleReport {
  readonly active_revision?: string;
  readonly type?: string;
  readonly size?: number;
  readonly last_request?: string;
  readonly last_successful_request?: string;
  readonly last_successful_download?: string;
  readonly last_successful_activation?: string;
  readonly error?: ReportedError;
}

export interface ReportedError {
  readonly code?: string;
  readonly message?: string;
  readonly http_code?: number;
  readonly errors?: readonly unknown[];
  /** Which part reported it: a bundle name, 'discovery' or 'decision_logs'. */
  readonly source?: string;
}

export interface AgentState {
  readonly bundles: Readonly<Record<string, BundleReport>>;
  readonly discovery?: BundleReport;
  readonly plugins?: Readonly<Record<string, { readonly state: string }>>;
  readonly last_request?: string;
  readonly last_successful_activation?: string;
  readonly last_error?: ReportedError;
}

/** An agent as the fleet query returns it. */
export interface Agent extends AgentState {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly opa_version?: string;
  readonly partition?: string;
  readonly auth?: AuthIdentity;
  readonly first_seen: string;
  readonly last_seen: string;
}

/** One decision-log event (OPA's EventV1), split into the fields the store indexes. */
export interface DecisionRecord {
  readonly agentId: string;
  readonly decisionId?: string;
  readonly timestamp: Date;
  readonly path?: string;
  readonly revision?: string;
  readonly bundles?: Readonly<Record<string, { readonly revision?: string }>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly input?: unknown;
  readonly result?: unknown;
  /** Every other field of the event, kept as sent. */
  readonly rest: Readonly<Record<string, unknown>>;
  readonly auth?: AuthIdentity;
}

/** A stored decision as the query returns it: the event as sent, plus where and when it arrived. */
export interface Decision extends Readonly<Record<string, unknown>> {
  readonly id: string;
  readonly agent_id: string;
  readonly received_at: string;
}

export interface DecisionQuery {
  readonly since?: Date;
  readonly until?: Date;
  readonly path?: string;
  /** JSON value the result must equal. */
  readonly result?: unknown;
  readonly revision?: string;
  readonly agent?: string;
  readonly labels: readonly (readonly [string, string])[];
  /** Dotted input paths (split into keys) and the JSON value each must equal. */
  readonly input: readonly (readonly [readonly string[], unknown])[];
  readonly limit: number;
  /** Most bytes of stored JSON a page holds (core/limits.ts QUERY_LIMITS by default); one event at least. */
  readonly maxBytes?: number;
  /** Opaque position from a previous page. */
  readonly cursor?: string;
  readonly order: 'asc' | 'desc';
}

export interface DecisionPage {
  readonly decisions: readonly Decision[];
  readonly next_cursor?: string;
}

/** `read` opens the web console; `admin` covers it too, and every other API. */
export type TokenScope = 'bundles' | 'status' | 'logs' | 'read' | 'admin';
export const TOKEN_SCOPES: readonly TokenScope[] = ['bundles', 'status', 'logs', 'read', 'admin'];

/** A bearer token's metadata; the token itself is never stored, only its SHA-256. */
export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly hash: string;
  readonly agent?: string;
  readonly group?: string;
  /** Bundle names this token may download, or ['*']. */
  readonly bundles: readonly string[];
  readonly scopes: readonly TokenScope[];
  readonly createdAt: Date;
  readonly revokedAt?: Date;
}

export interface RetentionPolicy {
  /** Decisions received longer ago than this are deleted. */
  readonly maxAgeMs?: number;
  /** Only the newest this many decisions are kept. */
  readonly maxDecisions?: number;
}

/** The fleet store: agents' status, decision-log events and bearer tokens. Every call that writes is one transaction. */
/** A scan result stored under an image digest; every upload is kept, so earlier results stay as history. */
export interface ScanRecord {
  readonly digest: string;
  readonly image: string;
  readonly input: unknown;
  readonly decision: unknown;
  readonly storedAt: Date;
}

/**
 * What a scan's input says about itself, kept beside it when it is stored:
 * a history lists scans without parsing inputs of up to EVALUATION_LIMITS'
 * size each.
 */
export interface ScanInputSummary {
  readonly reports: readonly {
    readonly format: string | null;
    readonly scanner: unknown;
    readonly created: string | null;
    /** Entries the parser could not fully read, by code. */
    readonly input_warnings: Readonly<Record<string, number>>;
  }[];
  readonly vulnerabilities: unknown;
}

/** A scan as read back: its sequence number tells two reads of one stored scan from a newer scan of the digest. */
export interface StoredScanRecord extends ScanRecord {
  readonly seq: number;
}

/** A stored scan without its input. */
export interface ScanHead extends Omit<ScanRecord, 'input'> {
  readonly summary: ScanInputSummary;
}

export interface Store {
  readonly driver: 'sqlite' | 'postgres';
  /** What runs where, its evaluations and current findings. */
  readonly inventory: InventoryStore;
  putScan(scan: ScanRecord): Promise<void>;
  /** The newest scan of each digest that has one. */
  latestScans(digests: readonly string[]): Promise<StoredScanRecord[]>;
  /** The sequence number of each digest's newest scan, without reading the scans: tells whether a read is still current. */
  latestScanSeqs(digests: readonly string[]): Promise<ReadonlyMap<string, number>>;
  /** Scans of one digest, newest first, without their inputs. */
  scanHistory(digest: string, limit: number): Promise<ScanHead[]>;
  recordStatus(record: StatusRecord): Promise<void>;
  recordDecisions(records: readonly DecisionRecord[], receivedAt: Date): Promise<number>;
  listAgents(): Promise<Agent[]>;
  queryDecisions(query: DecisionQuery): Promise<DecisionPage>;
  countDecisions(): Promise<number>;
  createToken(token: TokenRecord): Promise<void>;
  findToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** False when no active token has this id. */
  revokeToken(id: string, at: Date): Promise<boolean>;
  prune(policy: RetentionPolicy, now: Date): Promise<number>;
  close(): Promise<void>;
}

import { AppError } from '../core/index.js';
import { summarizeScanInput } from './scan-summary.js';
import type { Agent, AgentState, AuthIdentity, Decision, ScanHead, ScanInputSummary, StoredScanRecord, TokenRecord, TokenScope } from './types.js';

/** A column holding JSON: text in SQLite, already parsed in PostgreSQL. */
type Json = string | object | null;
/** A column holding an integer: a number in SQLite, a string for BIGINT in PostgreSQL. */
type Int = number | string | null;

export interface AgentRow {
  readonly id: string;
  readonly labels: Json;
  readonly opa_version: string | null;
  readonly partition_name: string | null;
  readonly auth: Json;
  readonly first_seen: Int;
  readonly last_seen: Int;
  readonly state: Json;
}

export interface DecisionRow {
  readonly seq: Int;
  readonly decision_id: string | null;
  readonly agent_id: string;
  readonly received_at: Int;
  readonly path: string | null;
  readonly revision: string | null;
  readonly bundles: Json;
  readonly labels: Json;
  readonly input: Json;
  readonly result: Json;
  readonly rest: Json;
  readonly auth: Json;
}

export interface TokenRow {
  readonly id: string;
  readonly name: string;
  readonly hash: string;
  readonly agent: string | null;
  readonly grp: string | null;
  readonly bundles: Json;
  readonly scopes: Json;
  readonly created_at: Int;
  readonly revoked_at: Int;
}

export interface ScanRow {
  readonly seq: Int;
  readonly digest: string;
  readonly image: string;
  readonly input: Json;
  readonly decision: Json;
  readonly stored_at: Int;
}

export function toScan(row: ScanRow): StoredScanRecord {
  return {
    seq: Number(row.seq),
    digest: row.digest,
    image: row.image,
    input: json(row.input),
    decision: json(row.decision),
    storedAt: new Date(Number(row.stored_at)),
  };
}

/** Columns of a scan's history: its input only where no summary was stored with it (scans stored before schema 9). */
export const SCAN_HEAD_COLUMNS = 'digest, image, decision, stored_at, summary, CASE WHEN summary IS NULL THEN input END AS input';

export interface ScanHeadRow extends Omit<ScanRow, 'input' | 'seq'> {
  readonly summary: Json;
  readonly input: Json;
}

export function toScanHead(row: ScanHeadRow): ScanHead {
  return {
    digest: row.digest,
    image: row.image,
    decision: json(row.decision),
    storedAt: new Date(Number(row.stored_at)),
    summary: row.summary === null ? summarizeScanInput(json(row.input)) : (json(row.summary) as ScanInputSummary),
  };
}

export function json<T>(value: Json): T | undefined {
  if (value === null) return undefined;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function iso(value: Int): string {
  return new Date(Number(value)).toISOString();
}

export function toAgent(row: AgentRow): Agent {
  const auth = json<AuthIdentity>(row.auth);
  return {
    id: row.id,
    labels: json<Record<string, string>>(row.labels) ?? {},
    ...(row.opa_version === null ? {} : { opa_version: row.opa_version }),
    ...(row.partition_name === null ? {} : { partition: row.partition_name }),
    ...(auth ? { auth } : {}),
    first_seen: iso(row.first_seen),
    last_seen: iso(row.last_seen),
    ...(json<AgentState>(row.state) ?? { bundles: {} }),
  };
}

/** Reassembles the event as the agent sent it, with the server's id, agent and arrival time in front. */
export function toDecision(row: DecisionRow): Decision {
  const optional: Record<string, unknown> = {};
  if (row.decision_id !== null) optional['decision_id'] = row.decision_id;
  if (row.path !== null) optional['path'] = row.path;
  if (row.revision !== null) optional['revision'] = row.revision;
  if (row.bundles !== null) optional['bundles'] = json(row.bundles);
  if (row.input !== null) optional['input'] = json(row.input);
  if (row.result !== null) optional['result'] = json(row.result);
  const auth = json<AuthIdentity>(row.auth);
  return {
    id: String(row.seq),
    agent_id: row.agent_id,
    received_at: iso(row.received_at),
    labels: json<Record<string, string>>(row.labels) ?? {},
    ...optional,
    ...(json<Record<string, unknown>>(row.rest) ?? {}),
    ...(auth ? { auth } : {}),
  };
}

export function toToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    ...(row.agent === null ? {} : { agent: row.agent }),
    ...(row.grp === null ? {} : { group: row.grp }),
    bundles: json<string[]>(row.bundles) ?? [],
    scopes: json<TokenScope[]>(row.scopes) ?? [],
    createdAt: new Date(Number(row.created_at)),
    ...(row.revoked_at === null ? {} : { revokedAt: new Date(Number(row.revoked_at)) }),
  };
}

/** Cursors are the position of the last row returned; opaque to clients so the scheme can change. */
export function encodeCursor(seq: Int): string {
  return Buffer.from(`s:${String(seq)}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const match = /^s:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AppError('REQUEST_INVALID', 'cursor is not one this server returned');
  return Number(match[1]);
}

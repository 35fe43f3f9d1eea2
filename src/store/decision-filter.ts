import { AppError, canonicalJson } from '../core/index.js';
import { decodeCursor } from './rows.js';
import type { DecisionQuery } from './types.js';

/** The two ways the SQL differs between engines: placeholders and JSON comparison. */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
}

export interface SqlFilter {
  readonly where: string;
  readonly params: unknown[];
}

/** Builds the WHERE clause and parameters for a decision query; every value is a bound parameter. */
export function decisionFilter(query: DecisionQuery, dialect: Dialect): SqlFilter {
  const params: unknown[] = [];
  const p = (value: unknown): string => {
    params.push(value);
    return dialect.name === 'sqlite' ? '?' : `$${params.length}`;
  };
  const pg = dialect.name === 'postgres';
  const clauses: string[] = [];
  if (query.since) clauses.push(`ts >= ${p(query.since.getTime())}`);
  if (query.until) clauses.push(`ts <= ${p(query.until.getTime())}`);
  if (query.path !== undefined) clauses.push(`path = ${p(query.path)}`);
  if (query.agent !== undefined) {
    const a = p(query.agent);
    const b = pg ? a : p(query.agent);
    clauses.push(pg ? `(agent_id = ${a} OR auth ->> 'agent' = ${b})` : `(agent_id = ${a} OR json_extract(auth, '$.agent') = ${b})`);
  }
  if (query.result !== undefined) {
    // SQLite stores results in canonical form, so text equality is JSON equality; jsonb compares by value.
    clauses.push(pg ? `result = ${p(JSON.stringify(query.result))}::jsonb` : `result = ${p(canonicalJson(query.result))}`);
  }
  if (query.revision !== undefined) clauses.push(revisionClause(query.revision, p, pg));
  for (const [key, value] of query.labels) {
    clauses.push(pg ? `labels ->> ${p(key)} = ${p(value)}` : `json_extract(labels, ${p(jsonPath([key]))}) = ${p(value)}`);
  }
  for (const [keys, value] of query.input) {
    clauses.push(pg ? `input #> ${p(keys)}::text[] = ${p(JSON.stringify(value))}::jsonb` : `input -> ${p(jsonPath(keys, true))} = ${p(JSON.stringify(value))}`);
  }
  if (query.cursor !== undefined) clauses.push(`seq ${query.order === 'desc' ? '<' : '>'} ${p(decodeCursor(query.cursor))}`);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** A decision matches a revision through the deprecated single `revision` or any bundle's revision. */
function revisionClause(revision: string, p: (v: unknown) => string, pg: boolean): string {
  if (pg) {
    const r = p(revision);
    return `(revision = ${r} OR EXISTS (SELECT 1 FROM jsonb_each(decisions.bundles) b WHERE b.value ->> 'revision' = ${r}))`;
  }
  return `(revision = ${p(revision)} OR EXISTS (SELECT 1 FROM json_each(decisions.bundles) b WHERE json_extract(b.value, '$.revision') = ${p(revision)}))`;
}

/**
 * SQLite JSON path with keys quoted, so dots and dashes inside keys stay
 * keys; in input paths a number is an array index, as with PostgreSQL's #>.
 */
function jsonPath(keys: readonly string[], indexes = false): string {
  if (keys.some((k) => /["\\]/.test(k))) throw new AppError('REQUEST_INVALID', 'label names and input paths cannot contain quotes or backslashes');
  return `$${keys.map((k) => (indexes && /^\d{1,9}$/.test(k) ? `[${k}]` : `."${k}"`)).join('')}`;
}

/** A row's position and the size of its stored JSON, read before the rows themselves. */
export interface RowSize {
  readonly seq: number | string;
  readonly bytes: number | string;
}

/**
 * The rows a page holds: at most `limit`, and no more than `maxBytes` of
 * stored JSON (one row at least), so a page of events with multi-MiB inputs
 * cannot make one query take the server's memory. `more` says whether a
 * next page exists.
 */
export function pageCut(sizes: readonly RowSize[], limit: number, maxBytes: number): { seqs: (number | string)[]; more: boolean } {
  const seqs: (number | string)[] = [];
  let total = 0;
  for (const row of sizes.slice(0, limit)) {
    total += Number(row.bytes);
    if (seqs.length > 0 && total > maxBytes) return { seqs, more: true };
    seqs.push(row.seq);
  }
  return { seqs, more: sizes.length > limit };
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson, QUERY_LIMITS } from '../core/index.js';
import { decisionFilter, pageCut, type RowSize } from './decision-filter.js';
import { SqlInventory } from './inventory-store.js';
import type { InventoryStore } from './inventory-types.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import {
  encodeCursor,
  SCAN_HEAD_COLUMNS,
  toAgent,
  toDecision,
  toScan,
  toScanHead,
  toToken,
  type AgentRow,
  type DecisionRow,
  type ScanHeadRow,
  type ScanRow,
  type TokenRow,
} from './rows.js';
import { summarizeScanInput } from './scan-summary.js';
import { newestScanSeqs } from './scan-seqs.js';
import { SqliteRunner } from './sql-runner.js';
import type {
  Agent,
  DecisionPage,
  DecisionQuery,
  DecisionRecord,
  RetentionPolicy,
  ScanHead,
  ScanRecord,
  StatusRecord,
  StoredScanRecord,
  Store,
  TokenRecord,
} from './types.js';

const optionalJson = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** Bytes of a decision row's stored JSON. */
const ROW_BYTES =
  'coalesce(length(input), 0) + coalesce(length(result), 0) + coalesce(length(rest), 0) + coalesce(length(labels), 0) + coalesce(length(bundles), 0)';

/**
 * The embedded store: one SQLite file in WAL mode, so queries read while
 * ingestion writes. better-sqlite3 is synchronous; each method is one
 * transaction, short enough that blocking the event loop is cheaper than a
 * thread hop.
 */
export class SqliteStore implements Store {
  readonly driver = 'sqlite' as const;
  readonly inventory: InventoryStore;
  private readonly db: Database.Database;
  private readonly runner: SqliteRunner;
  private readonly insertDecision: Database.Statement;
  private readonly upsertAgent: Database.Statement;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode is durable against process crashes, and only a power loss can drop the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.runner = new SqliteRunner(this.db);
    this.inventory = new SqlInventory(this.runner);
    this.insertDecision = this.db.prepare(
      `INSERT INTO decisions (decision_id, agent_id, ts, received_at, path, revision, bundles, labels, input, result, rest, auth)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.upsertAgent = this.db.prepare(
      `INSERT INTO agents (id, labels, opa_version, partition_name, auth, first_seen, last_seen, state)
       VALUES (@id, @labels, @opa_version, @partition_name, @auth, @seen, @seen, @state)
       ON CONFLICT (id) DO UPDATE SET labels = excluded.labels, opa_version = excluded.opa_version,
         partition_name = excluded.partition_name, auth = excluded.auth, last_seen = excluded.last_seen, state = excluded.state`,
    );
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    this.db
      .transaction(() => {
        SQLITE_MIGRATIONS.slice(current).forEach((sql) => this.db.exec(sql));
        this.db.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
      })
      .immediate();
  }

  async recordStatus(r: StatusRecord): Promise<void> {
    this.upsertAgent.run({
      id: r.agentId,
      labels: JSON.stringify(r.labels),
      opa_version: r.opaVersion ?? null,
      partition_name: r.partition ?? null,
      auth: optionalJson(r.auth),
      seen: r.receivedAt.getTime(),
      state: JSON.stringify(r.state),
    });
  }

  async recordDecisions(records: readonly DecisionRecord[], receivedAt: Date): Promise<number> {
    const at = receivedAt.getTime();
    this.db.transaction(() => {
      for (const d of records) {
        this.insertDecision.run(
          d.decisionId ?? null,
          d.agentId,
          d.timestamp.getTime(),
          at,
          d.path ?? null,
          d.revision ?? null,
          optionalJson(d.bundles),
          JSON.stringify(d.labels),
          optionalJson(d.input),
          d.result === undefined ? null : canonicalJson(d.result),
          JSON.stringify(d.rest),
          optionalJson(d.auth),
        );
      }
    })();
    return records.length;
  }

  async putScan(s: ScanRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO scans (digest, image, input, decision, stored_at, summary) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.digest, s.image, JSON.stringify(s.input), JSON.stringify(s.decision), s.storedAt.getTime(), JSON.stringify(summarizeScanInput(s.input)));
  }

  async latestScans(digests: readonly string[]): Promise<StoredScanRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT s.* FROM scans s JOIN (SELECT MAX(seq) AS seq FROM scans WHERE digest IN (SELECT value FROM json_each(?)) GROUP BY digest) m
         ON s.seq = m.seq`,
      )
      .all(JSON.stringify(digests)) as ScanRow[];
    return rows.map(toScan);
  }

  async latestScanSeqs(digests: readonly string[]): Promise<ReadonlyMap<string, number>> {
    return this.runner.read(() => newestScanSeqs('sqlite', digests));
  }

  async scanHistory(digest: string, limit: number): Promise<ScanHead[]> {
    return (this.db.prepare(`SELECT ${SCAN_HEAD_COLUMNS} FROM scans WHERE digest = ? ORDER BY seq DESC LIMIT ?`).all(digest, limit) as ScanHeadRow[]).map(
      toScanHead,
    );
  }

  async listAgents(): Promise<Agent[]> {
    return (this.db.prepare('SELECT * FROM agents ORDER BY id').all() as AgentRow[]).map(toAgent);
  }

  async queryDecisions(query: DecisionQuery): Promise<DecisionPage> {
    const { where, params } = decisionFilter(query, { name: 'sqlite' });
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    // Sizes first, then only the rows that fit the page's byte budget.
    const sizes = this.db
      .prepare(`SELECT seq, ${ROW_BYTES} AS bytes FROM decisions ${where} ORDER BY seq ${order} LIMIT ?`)
      .all(...params, query.limit + 1) as RowSize[];
    const { seqs, more } = pageCut(sizes, query.limit, query.maxBytes ?? QUERY_LIMITS.maxPageBytes);
    const rows = this.db
      .prepare(`SELECT * FROM decisions WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq ${order}`)
      .all(JSON.stringify(seqs)) as DecisionRow[];
    const last = rows[rows.length - 1];
    return { decisions: rows.map(toDecision), ...(more && last ? { next_cursor: encodeCursor(last.seq) } : {}) };
  }

  async countDecisions(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n;
  }

  async createToken(t: TokenRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO tokens (id, name, hash, agent, grp, bundles, scopes, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        t.id,
        t.name,
        t.hash,
        t.agent ?? null,
        t.group ?? null,
        JSON.stringify(t.bundles),
        JSON.stringify(t.scopes),
        t.createdAt.getTime(),
        t.revokedAt?.getTime() ?? null,
      );
  }

  async findToken(id: string): Promise<TokenRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row ? toToken(row) : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.db.prepare('SELECT * FROM tokens ORDER BY created_at, id').all() as TokenRow[]).map(toToken);
  }

  async revokeToken(id: string, at: Date): Promise<boolean> {
    return this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at.getTime(), id).changes > 0;
  }

  async prune(policy: RetentionPolicy, now: Date): Promise<number> {
    let deleted = 0;
    this.db.transaction(() => {
      if (policy.maxAgeMs !== undefined) {
        deleted += this.db.prepare('DELETE FROM decisions WHERE received_at < ?').run(now.getTime() - policy.maxAgeMs).changes;
      }
      if (policy.maxDecisions !== undefined) {
        deleted += this.db
          .prepare('DELETE FROM decisions WHERE seq <= (SELECT seq FROM decisions ORDER BY seq DESC LIMIT 1 OFFSET ?)')
          .run(policy.maxDecisions).changes;
      }
    })();
    return deleted;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

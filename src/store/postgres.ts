import pg from 'pg';
import { QUERY_LIMITS } from '../core/index.js';
import { decisionFilter, pageCut, type RowSize } from './decision-filter.js';
import { SqlInventory } from './inventory-store.js';
import type { InventoryStore } from './inventory-types.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
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
import { pgJson, pgText, PostgresRunner } from './sql-runner.js';
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

// jsonb cannot hold U+0000, which JSON allows; one such character would make
// OPA resend the whole batch forever, so it is stored as U+FFFD instead.
const jsonb = pgJson;
const text = pgText;

/** Bytes of a decision row's stored JSON. */
const ROW_BYTES =
  'coalesce(octet_length(input::text), 0) + coalesce(octet_length(result::text), 0) + coalesce(octet_length(rest::text), 0) + coalesce(octet_length(labels::text), 0) + coalesce(octet_length(bundles::text), 0)';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * jsonb arrives as text, as SQLite's JSON columns do, so rows.ts parses both
 * alike: parsed by the driver, a JSON string value ("r1") would be
 * indistinguishable from JSON text and parsed a second time.
 */
const JSONB_OID: number = pg.types.builtins.JSONB;

function jsonbAsText(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === JSONB_OID) return (value) => value;
  return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
}

/** Any number; it only has to be the same for every portcullis process sharing one database. */
const MIGRATION_LOCK = 0x706f7274;

/** The shared store: several portcullis replicas can write to one PostgreSQL database. */
export class PostgresStore implements Store {
  readonly driver = 'postgres' as const;
  readonly inventory: InventoryStore;

  private readonly runner: PostgresRunner;

  private constructor(private readonly pool: pg.Pool) {
    this.runner = new PostgresRunner(pool);
    this.inventory = new SqlInventory(this.runner);
  }

  static async open(url: string): Promise<PostgresStore> {
    // A server that cannot be reached fails the start within seconds instead of after the system's TCP timeout.
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, types: { getTypeParser: jsonbAsText } });
    // An idle client's network error would otherwise crash the process; the next query reports it instead.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end();
      throw err;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS portcullis_schema (version INTEGER NOT NULL)');
      const { rows } = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM portcullis_schema');
      const current = rows[0]?.v ?? 0;
      for (const [i, sql] of POSTGRES_MIGRATIONS.entries()) {
        if (i < current) continue;
        await c.query(sql);
        await c.query('INSERT INTO portcullis_schema (version) VALUES ($1)', [i + 1]);
      }
    });
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async recordStatus(r: StatusRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO agents (id, labels, opa_version, partition_name, auth, first_seen, last_seen, state)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
       ON CONFLICT (id) DO UPDATE SET labels = excluded.labels, opa_version = excluded.opa_version,
         partition_name = excluded.partition_name, auth = excluded.auth, last_seen = excluded.last_seen, state = excluded.state`,
      [
        text(r.agentId),
        jsonb(r.labels),
        r.opaVersion === undefined ? null : text(r.opaVersion),
        r.partition === undefined ? null : text(r.partition),
        r.auth ? jsonb(r.auth) : null,
        r.receivedAt.getTime(),
        jsonb(r.state),
      ],
    );
  }

  /** One statement for the whole batch: the rows travel as one JSON array parameter. */
  async recordDecisions(records: readonly DecisionRecord[], receivedAt: Date): Promise<number> {
    if (records.length === 0) return 0;
    const rows = records.map((d) => ({
      decision_id: d.decisionId ?? null,
      agent_id: d.agentId,
      ts: d.timestamp.getTime(),
      received_at: receivedAt.getTime(),
      path: d.path ?? null,
      revision: d.revision ?? null,
      bundles: d.bundles ?? null,
      labels: d.labels,
      input: d.input,
      result: d.result,
      rest: d.rest,
      auth: d.auth ?? null,
    }));
    await this.pool.query(
      `INSERT INTO decisions (decision_id, agent_id, ts, received_at, path, revision, bundles, labels, input, result, rest, auth)
       SELECT decision_id, agent_id, ts, received_at, path, revision, bundles, labels, input, result, rest, auth
       FROM jsonb_to_recordset($1::jsonb) AS x(decision_id text, agent_id text, ts bigint, received_at bigint, path text,
         revision text, bundles jsonb, labels jsonb, input jsonb, result jsonb, rest jsonb, auth jsonb)`,
      [jsonb(rows)],
    );
    return records.length;
  }

  async putScan(s: ScanRecord): Promise<void> {
    await this.pool.query('INSERT INTO scans (digest, image, input, decision, stored_at, summary) VALUES ($1, $2, $3, $4, $5, $6)', [
      text(s.digest),
      text(s.image),
      jsonb(s.input),
      jsonb(s.decision),
      s.storedAt.getTime(),
      jsonb(summarizeScanInput(s.input)),
    ]);
  }

  async latestScans(digests: readonly string[]): Promise<StoredScanRecord[]> {
    const { rows } = await this.pool.query<ScanRow>(`SELECT DISTINCT ON (digest) * FROM scans WHERE digest = ANY($1::text[]) ORDER BY digest, seq DESC`, [
      digests,
    ]);
    return rows.map(toScan);
  }

  async latestScanSeqs(digests: readonly string[]): Promise<ReadonlyMap<string, number>> {
    return this.runner.read(() => newestScanSeqs('postgres', digests));
  }

  async scanHistory(digest: string, limit: number): Promise<ScanHead[]> {
    const { rows } = await this.pool.query<ScanHeadRow>(`SELECT ${SCAN_HEAD_COLUMNS} FROM scans WHERE digest = $1 ORDER BY seq DESC LIMIT $2`, [digest, limit]);
    return rows.map(toScanHead);
  }

  async listAgents(): Promise<Agent[]> {
    return (await this.pool.query<AgentRow>('SELECT * FROM agents ORDER BY id')).rows.map(toAgent);
  }

  async queryDecisions(query: DecisionQuery): Promise<DecisionPage> {
    const { where, params } = decisionFilter(query, { name: 'postgres' });
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    // Sizes first, then only the rows that fit the page's byte budget.
    const sizeSql = `SELECT seq, ${ROW_BYTES} AS bytes FROM decisions ${where} ORDER BY seq ${order} LIMIT $${params.length + 1}`;
    const sizes = (await this.pool.query<RowSize>(sizeSql, [...params, query.limit + 1])).rows;
    const { seqs, more } = pageCut(sizes, query.limit, query.maxBytes ?? QUERY_LIMITS.maxPageBytes);
    const rows = (await this.pool.query<DecisionRow>(`SELECT * FROM decisions WHERE seq = ANY($1::bigint[]) ORDER BY seq ${order}`, [seqs])).rows;
    const last = rows[rows.length - 1];
    return { decisions: rows.map(toDecision), ...(more && last ? { next_cursor: encodeCursor(last.seq) } : {}) };
  }

  async countDecisions(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM decisions')).rows[0]?.n ?? 0);
  }

  async createToken(t: TokenRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO tokens (id, name, hash, agent, grp, bundles, scopes, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [
        t.id,
        t.name,
        t.hash,
        t.agent ?? null,
        t.group ?? null,
        JSON.stringify(t.bundles),
        JSON.stringify(t.scopes),
        t.createdAt.getTime(),
        t.revokedAt?.getTime() ?? null,
      ],
    );
  }

  async findToken(id: string): Promise<TokenRecord | undefined> {
    const row = (await this.pool.query<TokenRow>('SELECT * FROM tokens WHERE id = $1', [id])).rows[0];
    return row ? toToken(row) : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.pool.query<TokenRow>('SELECT * FROM tokens ORDER BY created_at, id')).rows.map(toToken);
  }

  async revokeToken(id: string, at: Date): Promise<boolean> {
    const res = await this.pool.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at.getTime(), id]);
    return (res.rowCount ?? 0) > 0;
  }

  async prune(policy: RetentionPolicy, now: Date): Promise<number> {
    return this.transaction(async (c) => {
      let deleted = 0;
      if (policy.maxAgeMs !== undefined) {
        deleted += (await c.query('DELETE FROM decisions WHERE received_at < $1', [now.getTime() - policy.maxAgeMs])).rowCount ?? 0;
      }
      if (policy.maxDecisions !== undefined) {
        const sql = 'DELETE FROM decisions WHERE seq <= (SELECT seq FROM decisions ORDER BY seq DESC LIMIT 1 OFFSET $1)';
        deleted += (await c.query(sql, [policy.maxDecisions])).rowCount ?? 0;
      }
      return deleted;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

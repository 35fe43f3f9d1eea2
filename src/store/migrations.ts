/**
 * Schema versions, applied in order on open. A version is never edited once
 * released; a change is a new entry. Both dialects keep the same columns so
 * the query code differs only in how JSON is compared.
 */
import { postgresChangedCountsMigration, postgresCountsMigration, postgresStatementCountsMigration, sqliteCountsMigration } from './inventory-counts.js';
import { postgresRollupsMigration, postgresStatementRollupsMigration, sqliteRollupsMigration } from './inventory-rollups.js';

/** The console's trend of open deny-level findings: an index that answers it without reading the table. */
const TREND_INDEX = `CREATE INDEX inv_findings_trend ON inv_findings (enforcement, state, first_seen, resolved_at);`;
/**
 * A digest's findings in the order of the default sort: "is the new scan's
 * finding there yet" (digest and CVE, sorted by severity) reads a few
 * hundred entries instead of every open finding ordered by severity. It
 * replaces the (digest, state) index it extends, so writes keep their
 * number of indexes.
 */
const DIGEST_INDEX = `DROP INDEX inv_findings_digest;
   CREATE INDEX inv_findings_digest ON inv_findings (digest, state, severity_rank, id);`;
/**
 * One workload's findings worst first (the console's workload page; without it the planner walks the severity index past
 * every other workload), and the grouping by workload or namespace read from the index alone, in group order.
 */
const WORKLOAD_INDEX = `CREATE INDEX inv_findings_workload ON inv_findings (state, cluster, namespace, kind, workload, severity_rank, id, enforcement, running_id);`;
/** The groupings by CVE, image and package read from an index alone, in group order. */
const GROUP_INDEXES = `CREATE INDEX inv_findings_vuln_group ON inv_findings (state, vuln_id, enforcement, severity_rank, running_id);
   CREATE INDEX inv_findings_image_group ON inv_findings (state, digest, repository, enforcement, severity_rank, running_id);
   CREATE INDEX inv_findings_package_group ON inv_findings (state, package, enforcement, severity_rank, running_id);`;
/**
 * The CVE-first view from the vulnerability's index alone: per container and per package, without reading the findings'
 * rows (a CVE in every container of a fleet has thousands). It replaces the (vuln_id, state) index it extends. The grouping
 * by CVE reads its index with each CVE's containers together, so counting them apart sorts nothing.
 */
const VULN_INDEXES = `DROP INDEX inv_findings_vuln;
   CREATE INDEX inv_findings_vuln ON inv_findings (vuln_id, state, running_id, enforcement, first_seen, package, installed_version, fixed_version, severity_rank, score, published);
   DROP INDEX inv_findings_vuln_group;
   CREATE INDEX inv_findings_vuln_group ON inv_findings (state, vuln_id, running_id, enforcement, severity_rank);`;

/**
 * A scan's summary beside its input (store/scan-summary.ts): the image page and
 * a digest's history list up to 50 scans, and parsing their inputs (up to
 * 8 MiB each) held the server for seconds. Older scans have none; their
 * histories still read the input.
 */
const SCAN_SUMMARY = `ALTER TABLE scans ADD COLUMN summary TEXT;`;

/**
 * Room on each page of the findings for PostgreSQL's heap-only updates: a pass
 * rewrites most findings' message, revision and last-seen time, which no index
 * covers, and a new row version that fits on its page updates none of the
 * table's indexes. Pages already written get the room as they are rewritten.
 */
const FINDINGS_FILLFACTOR = `ALTER TABLE inv_findings SET (fillfactor = 50);`;

/**
 * The claim's order (most urgent first, then oldest) read from an index: with
 * priority ascending in the index, the planner sorted every dirty unit of a
 * pass on each claim.
 */
const CLAIM_INDEX = `DROP INDEX inv_units_dirty;
   CREATE INDEX inv_units_dirty ON inv_units (dirty, priority DESC, id);`;

/**
 * The history's prune (inventory-retention.ts): containers by when they went,
 * findings by when they were resolved, webhook events by when they were given
 * up on (partial, so running containers, open findings and live events cost
 * these indexes nothing), and a pruned container's rows in the per-CVE
 * rollup, whose key leads with the state and the CVE.
 */
const HISTORY_INDEXES = `CREATE INDEX inv_running_gone ON inv_running (gone_at) WHERE gone_at IS NOT NULL;
   CREATE INDEX inv_findings_resolved ON inv_findings (resolved_at) WHERE state = 'resolved';
   CREATE INDEX inv_outbox_dead ON inv_outbox (dead_at) WHERE dead_at IS NOT NULL;
   CREATE INDEX inv_vuln_containers_running ON inv_vuln_containers (running_id);`;

export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE agents (
     id TEXT PRIMARY KEY,
     labels TEXT NOT NULL,
     opa_version TEXT,
     partition_name TEXT,
     auth TEXT,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     state TEXT NOT NULL
   );
   CREATE TABLE decisions (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     decision_id TEXT,
     agent_id TEXT NOT NULL,
     ts INTEGER NOT NULL,
     received_at INTEGER NOT NULL,
     path TEXT,
     revision TEXT,
     bundles TEXT,
     labels TEXT NOT NULL,
     input TEXT,
     result TEXT,
     rest TEXT NOT NULL,
     auth TEXT
   );
   CREATE INDEX decisions_ts ON decisions (ts);
   CREATE INDEX decisions_received_at ON decisions (received_at);
   CREATE INDEX decisions_path ON decisions (path, seq);
   CREATE INDEX decisions_agent ON decisions (agent_id, seq);
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL,
     agent TEXT,
     grp TEXT,
     bundles TEXT NOT NULL,
     scopes TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );`,
  `CREATE TABLE scans (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     digest TEXT NOT NULL,
     image TEXT NOT NULL,
     input TEXT NOT NULL,
     decision TEXT NOT NULL,
     stored_at INTEGER NOT NULL
   );
   CREATE INDEX scans_digest ON scans (digest, seq);`,
  inventorySchema({ id: 'INTEGER PRIMARY KEY AUTOINCREMENT', big: 'INTEGER' }),
  TREND_INDEX,
  DIGEST_INDEX,
  `${sqliteCountsMigration()}
   ${WORKLOAD_INDEX}
   ${GROUP_INDEXES}`,
  VULN_INDEXES,
  sqliteRollupsMigration(),
  SCAN_SUMMARY,
  CLAIM_INDEX,
  HISTORY_INDEXES,
];

export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE agents (
     id TEXT PRIMARY KEY,
     labels JSONB NOT NULL,
     opa_version TEXT,
     partition_name TEXT,
     auth JSONB,
     first_seen BIGINT NOT NULL,
     last_seen BIGINT NOT NULL,
     state JSONB NOT NULL
   );
   CREATE TABLE decisions (
     seq BIGSERIAL PRIMARY KEY,
     decision_id TEXT,
     agent_id TEXT NOT NULL,
     ts BIGINT NOT NULL,
     received_at BIGINT NOT NULL,
     path TEXT,
     revision TEXT,
     bundles JSONB,
     labels JSONB NOT NULL,
     input JSONB,
     result JSONB,
     rest JSONB NOT NULL,
     auth JSONB
   );
   CREATE INDEX decisions_ts ON decisions (ts);
   CREATE INDEX decisions_received_at ON decisions (received_at);
   CREATE INDEX decisions_path ON decisions (path, seq);
   CREATE INDEX decisions_agent ON decisions (agent_id, seq);
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL,
     agent TEXT,
     grp TEXT,
     bundles JSONB NOT NULL,
     scopes JSONB NOT NULL,
     created_at BIGINT NOT NULL,
     revoked_at BIGINT
   );`,
  `CREATE TABLE scans (
     seq BIGSERIAL PRIMARY KEY,
     digest TEXT NOT NULL,
     image TEXT NOT NULL,
     input JSONB NOT NULL,
     decision JSONB NOT NULL,
     stored_at BIGINT NOT NULL
   );
   CREATE INDEX scans_digest ON scans (digest, seq);`,
  inventorySchema({ id: 'BIGSERIAL PRIMARY KEY', big: 'BIGINT' }),
  TREND_INDEX,
  DIGEST_INDEX,
  `${postgresCountsMigration()}
   ${WORKLOAD_INDEX}
   ${GROUP_INDEXES}`,
  VULN_INDEXES,
  postgresRollupsMigration(),
  SCAN_SUMMARY,
  postgresStatementCountsMigration(),
  FINDINGS_FILLFACTOR,
  `${postgresChangedCountsMigration()}
   ${postgresStatementRollupsMigration()}`,
  CLAIM_INDEX,
  HISTORY_INDEXES,
];

/**
 * The inventory (runtime workloads, their evaluation units, current findings,
 * the webhook outbox), the same in both dialects: JSON is kept as text and
 * booleans as 0/1, so one implementation of the queries serves both. Part of
 * the migration lists above: never edit it once released, add a new version.
 */
function inventorySchema(t: { readonly id: string; readonly big: string }): string {
  return `CREATE TABLE inv_clusters (
     name TEXT PRIMARY KEY,
     first_seen ${t.big} NOT NULL,
     last_snapshot_at ${t.big},
     last_snapshot_hash TEXT
   );
   CREATE TABLE inv_namespaces (
     cluster TEXT NOT NULL,
     name TEXT NOT NULL,
     labels TEXT NOT NULL,
     updated_at ${t.big} NOT NULL,
     PRIMARY KEY (cluster, name)
   );
   CREATE TABLE inv_contexts (
     id ${t.id},
     key TEXT NOT NULL UNIQUE,
     environment TEXT,
     metadata TEXT NOT NULL
   );
   CREATE TABLE inv_units (
     id ${t.id},
     digest TEXT NOT NULL,
     context_id ${t.big} NOT NULL,
     dirty INTEGER NOT NULL DEFAULT 1,
     dirty_gen ${t.big} NOT NULL DEFAULT 1,
     priority INTEGER NOT NULL DEFAULT 0,
     claimed_by TEXT,
     claim_until ${t.big},
     revision_etag TEXT,
     revision TEXT,
     evaluated_at ${t.big},
     scan_seq ${t.big},
     decision TEXT,
     summary TEXT,
     violations INTEGER NOT NULL DEFAULT 0,
     warnings INTEGER NOT NULL DEFAULT 0,
     hash TEXT,
     evaluations ${t.big} NOT NULL DEFAULT 0,
     UNIQUE (digest, context_id)
   );
   CREATE INDEX inv_units_dirty ON inv_units (dirty, priority, id);
   CREATE TABLE inv_running (
     id ${t.id},
     cluster TEXT NOT NULL,
     namespace TEXT NOT NULL,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     container TEXT NOT NULL,
     container_type TEXT NOT NULL,
     image TEXT NOT NULL,
     repository TEXT NOT NULL,
     digest TEXT,
     digest_key TEXT NOT NULL,
     replicas INTEGER NOT NULL,
     source TEXT NOT NULL,
     context_id ${t.big} NOT NULL,
     unit_id ${t.big},
     synced_hash TEXT,
     first_seen ${t.big} NOT NULL,
     last_seen ${t.big} NOT NULL,
     gone_at ${t.big},
     UNIQUE (cluster, namespace, kind, name, container, digest_key)
   );
   CREATE INDEX inv_running_unit ON inv_running (unit_id, gone_at);
   CREATE INDEX inv_running_digest ON inv_running (digest, gone_at);
   CREATE INDEX inv_running_cluster ON inv_running (cluster, gone_at);
   CREATE TABLE inv_findings (
     id ${t.id},
     running_id ${t.big} NOT NULL,
     fingerprint TEXT NOT NULL,
     content_hash TEXT NOT NULL,
     state TEXT NOT NULL,
     enforcement TEXT NOT NULL,
     rule TEXT NOT NULL,
     severity TEXT NOT NULL,
     severity_rank INTEGER NOT NULL,
     vuln_id TEXT NOT NULL,
     package TEXT NOT NULL,
     installed_version TEXT NOT NULL,
     fixed_version TEXT NOT NULL,
     fixable INTEGER NOT NULL,
     published ${t.big},
     age_anchor ${t.big} NOT NULL,
     score REAL,
     title TEXT NOT NULL,
     message TEXT NOT NULL,
     exception TEXT,
     cluster TEXT NOT NULL,
     namespace TEXT NOT NULL,
     environment TEXT NOT NULL,
     kind TEXT NOT NULL,
     workload TEXT NOT NULL,
     container TEXT NOT NULL,
     image TEXT NOT NULL,
     repository TEXT NOT NULL,
     digest TEXT NOT NULL,
     revision TEXT NOT NULL,
     first_seen ${t.big} NOT NULL,
     last_seen ${t.big} NOT NULL,
     resolved_at ${t.big},
     UNIQUE (running_id, fingerprint)
   );
   CREATE INDEX inv_findings_severity ON inv_findings (state, severity_rank, id);
   CREATE INDEX inv_findings_filters ON inv_findings (state, severity_rank, fixable, age_anchor, namespace, enforcement, environment);
   CREATE INDEX inv_findings_namespace ON inv_findings (state, namespace, severity_rank, enforcement);
   CREATE INDEX inv_findings_vuln ON inv_findings (vuln_id, state);
   CREATE INDEX inv_findings_digest ON inv_findings (digest, state);
   CREATE INDEX inv_findings_first_seen ON inv_findings (state, first_seen);
   CREATE INDEX inv_findings_age ON inv_findings (state, age_anchor);
   CREATE TABLE inv_state (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );
   CREATE TABLE inv_outbox (
     id ${t.id},
     body TEXT NOT NULL,
     created_at ${t.big} NOT NULL,
     next_attempt_at ${t.big} NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     delivered_at ${t.big},
     dead_at ${t.big},
     claimed_by TEXT,
     claim_until ${t.big}
   );
   CREATE INDEX inv_outbox_pending ON inv_outbox (delivered_at, dead_at, next_attempt_at);
   CREATE TABLE inv_deliveries (
     id ${t.id},
     outbox_id ${t.big} NOT NULL,
     attempt INTEGER NOT NULL,
     at ${t.big} NOT NULL,
     status INTEGER,
     error TEXT,
     duration_ms INTEGER NOT NULL
   );
   CREATE INDEX inv_deliveries_outbox ON inv_deliveries (outbox_id);`;
}

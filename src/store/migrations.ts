/**
 * Schema versions, applied in order on open. A version is never edited once
 * released; a change is a new entry. Both dialects keep the same columns so
 * the query code differs only in how JSON is compared.
 */
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
];

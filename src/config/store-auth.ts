import { resolve } from 'node:path';
import { AppError, MAX_JSON_DEPTH } from '../core/index.js';
import { DEFAULTS } from './defaults.js';

/** `store:`, `auth:`, `ingest:` and `server.tls:` in the serve configuration. */
export interface StoreFile {
  readonly driver?: 'sqlite' | 'postgres';
  /** SQLite file, relative to the state directory. */
  readonly path?: string;
  /** PostgreSQL connection URL; prefer url_env so the password stays out of the file. */
  readonly url?: string;
  readonly url_env?: string;
  readonly retention?: {
    readonly max_age_hours?: number;
    readonly max_decisions?: number;
    readonly interval_seconds?: number;
    readonly history_hours?: number;
  };
}

export interface TlsFile {
  readonly cert: string;
  readonly key: string;
  readonly client_ca?: string;
  readonly require_client_cert?: boolean;
}

export interface AuthFile {
  readonly required?: boolean;
}

export interface IngestFile {
  readonly max_body_bytes?: number;
  readonly max_compression_ratio?: number;
}

export type StoreSettings = { readonly driver: 'sqlite'; readonly path: string } | { readonly driver: 'postgres'; readonly url: string };

export interface StoreAuthConfig {
  readonly store: StoreSettings;
  readonly retention: { readonly maxAgeMs?: number; readonly maxDecisions?: number; readonly intervalMs: number; readonly historyMs: number };
  /** When true, every API but /health and /ready needs a bearer token. */
  readonly auth: { readonly required: boolean };
  /** Limits on status and decision-log bodies: decompressed size, gzip ratio and nesting. */
  readonly ingest: { readonly maxBodyBytes: number; readonly maxRatio: number; readonly maxDepth: number };
  /** Absolute file paths; HTTPS (and mTLS with clientCa) when set. */
  readonly tls: { readonly cert: string; readonly key: string; readonly clientCa?: string; readonly requireClientCert: boolean } | undefined;
}

const positiveInt = { type: 'integer', minimum: 1 } as const;
/** 30 days: the console's trend of open findings reads the findings resolved in that time. */
const MIN_HISTORY_HOURS = 30 * 24;
const path = { type: 'string', minLength: 1 } as const;

export const storeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    driver: { enum: ['sqlite', 'postgres'] },
    path,
    url: { type: 'string', pattern: '^postgres(ql)?://' },
    url_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    retention: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_age_hours: positiveInt,
        max_decisions: positiveInt,
        interval_seconds: positiveInt,
        history_hours: { type: 'integer', minimum: MIN_HISTORY_HOURS },
      },
    },
  },
} as const;

export const tlsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cert', 'key'],
  properties: { cert: path, key: path, client_ca: path, require_client_cert: { type: 'boolean' } },
} as const;

export const authSchema = { type: 'object', additionalProperties: false, properties: { required: { type: 'boolean' } } } as const;

export const ingestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { max_body_bytes: positiveInt, max_compression_ratio: positiveInt },
} as const;

export interface StoreAuthSources {
  readonly store?: StoreFile;
  readonly auth?: AuthFile;
  readonly ingest?: IngestFile;
  readonly tls?: TlsFile;
  /** limits.max_json_depth: events are refused at ingestion deeper than the store can query. */
  readonly maxJsonDepth?: number;
}

/** Resolves the store, auth, ingestion and TLS settings; `env` holds only what load.ts passes in. */
export function storeAuthConfig(file: StoreAuthSources, base: string, stateDir: string, env: NodeJS.ProcessEnv): StoreAuthConfig {
  const s = file.store ?? {};
  const r = s.retention ?? {};
  const maxAgeHours = r.max_age_hours ?? DEFAULTS.retentionMaxAgeHours;
  const maxDecisions = r.max_decisions ?? DEFAULTS.retentionMaxDecisions;
  const tls = file.tls;
  if (tls?.require_client_cert && tls.client_ca === undefined) {
    throw new AppError('CONFIG_INVALID', 'server.tls.require_client_cert needs server.tls.client_ca');
  }
  return {
    store: storeSettings(s, stateDir, env),
    retention: {
      maxAgeMs: maxAgeHours * 3_600_000,
      maxDecisions,
      intervalMs: (r.interval_seconds ?? DEFAULTS.retentionIntervalSeconds) * 1000,
      historyMs: (r.history_hours ?? DEFAULTS.retentionHistoryHours) * 3_600_000,
    },
    auth: { required: file.auth?.required ?? false },
    ingest: {
      maxBodyBytes: file.ingest?.max_body_bytes ?? DEFAULTS.ingestMaxBodyBytes,
      maxRatio: file.ingest?.max_compression_ratio ?? DEFAULTS.ingestMaxCompressionRatio,
      maxDepth: file.maxJsonDepth ?? MAX_JSON_DEPTH,
    },
    tls: tls && {
      cert: resolve(base, tls.cert),
      key: resolve(base, tls.key),
      ...(tls.client_ca === undefined ? {} : { clientCa: resolve(base, tls.client_ca) }),
      requireClientCert: tls.require_client_cert ?? false,
    },
  };
}

function storeSettings(s: StoreFile, stateDir: string, env: NodeJS.ProcessEnv): StoreSettings {
  const url = s.url ?? (s.url_env === undefined ? undefined : env[s.url_env]);
  if ((s.driver ?? 'sqlite') === 'sqlite') return { driver: 'sqlite', path: resolve(stateDir, s.path ?? DEFAULTS.sqliteFile) };
  if (!url) {
    const where = s.url_env === undefined ? 'store.url or store.url_env' : `the environment variable ${s.url_env} (store.url_env)`;
    throw new AppError('CONFIG_INVALID', `store.driver postgres needs a connection URL in ${where}`);
  }
  return { driver: 'postgres', url };
}

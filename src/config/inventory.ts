import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError, REQUEST_LIMITS } from '../core/index.js';
import type { Environment } from './environment.js';

/** `inventory:` in the serve configuration (docs/inventory.md). */
export interface InventoryFile {
  /** The cluster admission reviews come from (default "default"). */
  readonly cluster?: string;
  readonly clusters?: Readonly<Record<string, { readonly environment?: string; readonly labels?: Readonly<Record<string, string>> }>>;
  readonly tick_interval_seconds?: number;
  readonly poll_interval_ms?: number;
  /** Evaluation worker threads; 0 evaluates on the main thread. */
  readonly workers?: number;
  readonly unresolved_digest?: 'deny' | 'warn';
  readonly report_max_results?: number;
  /** Largest snapshot body (after gzip), default 256 MiB. */
  readonly max_body_bytes?: number;
  readonly webhook?: {
    readonly url: string;
    readonly secret_env?: string;
    readonly secret_file?: string;
    readonly timeout_seconds?: number;
    readonly max_attempts?: number;
    readonly retry_base_seconds?: number;
  };
}

export interface InventoryConfig {
  readonly cluster: string;
  readonly clusters: Readonly<Record<string, { readonly environment: string | null; readonly labels: Readonly<Record<string, string>> }>>;
  readonly tickIntervalMs: number;
  readonly pollMs: number;
  /** Undefined: one per core. */
  readonly workers: number | undefined;
  readonly unresolvedDigest: 'deny' | 'warn';
  readonly reportMaxResults: number;
  readonly maxBodyBytes: number;
  readonly webhook:
    { readonly url: string; readonly secret: Uint8Array; readonly timeoutMs: number; readonly maxAttempts: number; readonly retryBaseMs: number } | undefined;
  /** $PORTCULLIS_CLOCK_FILE: the server's time is read from this file (tests, demonstrations). */
  readonly clockFile: string | undefined;
}

const name = { type: 'string', pattern: '^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$' } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

export const inventorySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cluster: name,
    clusters: {
      type: 'object',
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { environment: { type: 'string', minLength: 1 }, labels: { type: 'object', additionalProperties: { type: 'string' } } },
      },
    },
    tick_interval_seconds: { type: 'integer', minimum: 1 },
    poll_interval_ms: { type: 'integer', minimum: 50 },
    workers: { type: 'integer', minimum: 0, maximum: 64 },
    unresolved_digest: { enum: ['deny', 'warn'] },
    report_max_results: { type: 'integer', minimum: 1, maximum: 10000 },
    max_body_bytes: positiveInt,
    webhook: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        secret_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        secret_file: { type: 'string', minLength: 1 },
        timeout_seconds: { type: 'integer', minimum: 1, maximum: 300 },
        max_attempts: positiveInt,
        retry_base_seconds: positiveInt,
      },
      oneOf: [{ required: ['secret_env'] }, { required: ['secret_file'] }],
    },
  },
} as const;

/** Defaults: hourly re-evaluation, unresolved digests denied, no webhook. The webhook secret is read once, here. */
export function inventoryConfig(file: InventoryFile | undefined, base: string, vars: Environment, env: NodeJS.ProcessEnv): InventoryConfig {
  const f = file ?? {};
  const clusters = Object.fromEntries(Object.entries(f.clusters ?? {}).map(([n, c]) => [n, { environment: c.environment ?? null, labels: c.labels ?? {} }]));
  return Object.freeze({
    cluster: f.cluster ?? 'default',
    clusters,
    tickIntervalMs: (f.tick_interval_seconds ?? 3600) * 1000,
    pollMs: f.poll_interval_ms ?? 1000,
    workers: f.workers,
    unresolvedDigest: f.unresolved_digest ?? 'deny',
    reportMaxResults: f.report_max_results ?? 1000,
    maxBodyBytes: f.max_body_bytes ?? REQUEST_LIMITS.maxSnapshotBytes,
    webhook: f.webhook && {
      url: f.webhook.url,
      secret: webhookSecret(f.webhook, base, env),
      timeoutMs: (f.webhook.timeout_seconds ?? 10) * 1000,
      maxAttempts: f.webhook.max_attempts ?? 12,
      retryBaseMs: (f.webhook.retry_base_seconds ?? 2) * 1000,
    },
    clockFile: vars.PORTCULLIS_CLOCK_FILE === undefined ? undefined : resolve(vars.PORTCULLIS_CLOCK_FILE),
  });
}

function webhookSecret(w: NonNullable<InventoryFile['webhook']>, base: string, env: NodeJS.ProcessEnv): Uint8Array {
  if (w.secret_env !== undefined) {
    const value = env[w.secret_env];
    if (!value) throw new AppError('CONFIG_INVALID', `inventory.webhook.secret_env names ${w.secret_env}, which is not set`);
    return Buffer.from(value, 'utf8');
  }
  const file = resolve(base, w.secret_file as string);
  try {
    return readFileSync(file);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `inventory.webhook.secret_file ${file} cannot be read`, { cause: err });
  }
}

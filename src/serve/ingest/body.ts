import type { Context } from 'koa';
import { AppError } from '../../core/index.js';
import { readJsonBody } from '../body.js';

/** ingest: in the configuration, plus limits.max_json_depth. */
export interface IngestLimits {
  /** Largest body, after decompression. */
  readonly maxBodyBytes: number;
  /** Largest decompressed-to-compressed ratio beyond the first MiB (gzip-bomb guard). */
  readonly maxRatio: number;
  /** Deepest nesting: stored events must stay within what the store's JSON functions can query. */
  readonly maxDepth: number;
}

/**
 * Reads a status or decision-log body the way OPA sends it (plain, or with
 * Content-Encoding: gzip), within the ingestion limits, as valid UTF-8 JSON.
 * Every failure is a 4xx.
 */
export async function readIngestBody(ctx: Context, limits: IngestLimits): Promise<unknown> {
  const body = await readJsonBody(ctx, {
    maxBytes: limits.maxBodyBytes,
    limitName: 'ingest.max_body_bytes',
    maxDepth: limits.maxDepth,
    gzipRatio: limits.maxRatio,
    strictType: true,
    invalid: 'INPUT_INVALID',
  });
  if (body === undefined) throw new AppError('INPUT_INVALID', 'request body is empty; expected JSON');
  return body;
}

import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Context } from 'koa';
import { AppError } from '../../core/index.js';

const gunzipAsync = promisify(gunzip);
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** The ratio guard starts beyond the first MiB, where small bodies of repeated events compress very well. */
const RATIO_FLOOR = 1024 * 1024;

export interface BodyLimits {
  /** Largest body, after decompression. */
  readonly maxBodyBytes: number;
  /** Largest decompressed-to-compressed ratio beyond the first MiB (gzip-bomb guard). */
  readonly maxRatio: number;
}

/**
 * Reads a JSON request body the way OPA sends it (plain, or with
 * Content-Encoding: gzip), enforcing the size and ratio limits while
 * reading, then requires valid UTF-8 and JSON. Every failure is a 4xx.
 */
export async function readJsonBody(ctx: Context, limits: BodyLimits): Promise<unknown> {
  checkContentType(ctx.get('Content-Type'));
  const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new AppError('ENCODING_UNSUPPORTED', `Content-Encoding '${encoding}' is not supported; send the body plain or with gzip`);
  }
  const raw = await readRaw(ctx, limits.maxBodyBytes);
  const bytes = encoding === 'gzip' || encoding === 'x-gzip' ? await decompress(raw, limits) : raw;
  if (bytes.byteLength === 0) throw new AppError('INPUT_INVALID', 'request body is empty; expected JSON');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new AppError('INPUT_INVALID', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AppError('INPUT_INVALID', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** OPA sends application/json; no header is tolerated, any other media type is refused. */
function checkContentType(header: string): void {
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '' || type === 'application/json' || type.endsWith('+json')) return;
  throw new AppError('ENCODING_UNSUPPORTED', `Content-Type '${type}' is not supported; send application/json`);
}

async function readRaw(ctx: Context, max: number): Promise<Buffer> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > max) throw tooLarge(max);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).byteLength;
    if (size > max) throw tooLarge(max);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

async function decompress(raw: Buffer, limits: BodyLimits): Promise<Buffer> {
  const byRatio = Math.max(RATIO_FLOOR, raw.byteLength * limits.maxRatio);
  const cap = Math.min(limits.maxBodyBytes, byRatio);
  try {
    return await gunzipAsync(raw, { maxOutputLength: cap });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
      throw new AppError('INPUT_INVALID', `request body is not valid gzip: ${(err as Error).message}`);
    }
    if (cap < limits.maxBodyBytes) {
      throw new AppError('INPUT_TOO_LARGE', `gzip body expands more than ${limits.maxRatio} times its compressed size`);
    }
    throw tooLarge(limits.maxBodyBytes);
  }
}

function tooLarge(max: number): AppError {
  return new AppError('INPUT_TOO_LARGE', `request body is larger than ${max} bytes (ingest.max_body_bytes)`);
}

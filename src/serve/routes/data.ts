import type { Context, Next } from 'koa';
import { rootContains } from '../../bundle/index.js';
import type { PolicyCache } from '../../check/index.js';
import { AppError, type JsonValue } from '../../core/index.js';
import { normalizeEntrypoint } from '../../evaluate/index.js';
import type { BundleRegistry, PublishedBundle } from '../registry.js';

export interface EvaluationRouteOptions {
  readonly registry: BundleRegistry;
  readonly cache: PolicyCache;
  /** Largest request body accepted, in bytes; larger bodies get 413 before they are read whole. */
  readonly maxBodyBytes: number;
}

const PREFIX = '/v1/data';

/** Default body limit of the evaluation endpoints: Trivy reports that list every package reach tens of MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** OPA answers a POST without an `input` key with the result and this warning. */
export const MISSING_INPUT_WARNING = { code: 'api_usage_warning', message: "'input' key missing from the request" } as const;

/**
 * OPA's Data API for clients that already talk to an OPA sidecar:
 * `POST /v1/data/<path>` with `{"input": ...}` answers `{"result": ...}`, or
 * `{}` when the document is undefined. The path is evaluated in the served
 * bundle whose roots contain it: a Wasm entrypoint is evaluated, a path into
 * the bundle's data returns that data; other rule paths cannot be evaluated
 * from Wasm and get a 404 naming the entrypoints.
 */
export function dataRoutes(options: EvaluationRouteOptions) {
  return async (ctx: Context, next: Next): Promise<void> => {
    // Only POST is offered: GET with a URL-encoded input is not worth its size limits.
    if (ctx.method !== 'POST' || (ctx.path !== PREFIX && !ctx.path.startsWith(`${PREFIX}/`))) {
      await next();
      return;
    }
    const path = dataPath(ctx.path);
    const body = await readJsonBody(ctx, options.maxBodyBytes);
    if (body !== undefined && !isObject(body)) throw new AppError('REQUEST_INVALID', 'request body must be a JSON object such as {"input": ...}');
    const hasInput = body !== undefined && 'input' in body;
    const warning = hasInput ? {} : { warning: MISSING_INPUT_WARNING };
    const bundle = bundleFor(options.registry, path);
    ctx.set('Cache-Control', 'no-store');
    if (!bundle) {
      ctx.body = { ...warning };
      return;
    }
    const { policy, bundle: loaded } = await options.cache.get(bundle);
    const input = hasInput ? (body['input'] as JsonValue) : undefined;
    const entrypoint = normalizeEntrypoint(path);
    if (policy?.entrypoints.has(entrypoint)) {
      const result = policy.evaluate(entrypoint, input);
      ctx.body = result.defined ? { result: result.result, ...warning } : { ...warning };
      return;
    }
    const value = dataAt(loaded.data, path);
    if (value.found) {
      ctx.body = { result: value.value, ...warning };
      return;
    }
    const known = policy ? [...policy.entrypoints].sort().join(', ') : 'none: it has no Wasm module';
    throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `${path || '/'} is neither an entrypoint nor data of bundle '${bundle.name}' (entrypoints: ${known})`);
  };
}

function dataPath(requestPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath.slice(PREFIX.length));
  } catch {
    throw new AppError('REQUEST_INVALID', 'the data path is not valid percent-encoding');
  }
  return decoded.replace(/^\/+|\/+$/g, '');
}

/** The published bundle whose roots contain `path` (roots are disjoint, so at most one). */
export function bundleFor(registry: BundleRegistry, path: string): PublishedBundle | undefined {
  for (const { name } of registry.states()) {
    const bundle = registry.get(name);
    if (bundle?.roots.some((root) => rootContains(root, path))) return bundle;
  }
  return undefined;
}

function dataAt(data: Record<string, JsonValue>, path: string): { found: true; value: JsonValue } | { found: false } {
  let node: JsonValue = data;
  for (const segment of path === '' ? [] : path.split('/')) {
    if (!isObject(node) || !(segment in node)) return { found: false };
    node = (node as Record<string, JsonValue>)[segment] as JsonValue;
  }
  return { found: true, value: node };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a JSON request body of at most `maxBytes`: refused from its
 * Content-Length before reading, or as soon as the stream passes the limit.
 * An empty body is `undefined`; malformed JSON is a 400 naming the position.
 */
export async function readJsonBody(ctx: Context, maxBytes: number): Promise<unknown> {
  const declared = Number(ctx.get('Content-Length') || Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).byteLength;
    if (size > maxBytes) {
      ctx.req.destroy();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AppError('REQUEST_INVALID', `request body is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('INPUT_TOO_LARGE', `request body is larger than ${maxBytes} bytes`);
}

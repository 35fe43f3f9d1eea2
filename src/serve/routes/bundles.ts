import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Context } from 'koa';
import { AppError } from '../../core/index.js';
import { etagMatches } from '../etag.js';
import type { LongPollWaiters } from '../long-poll.js';
import type { ServerMetrics } from '../metrics.js';
import { parsePrefer } from '../prefer.js';
import type { BundleRegistry, PublishedBundle } from '../registry.js';

export const BUNDLE_CONTENT_TYPE = 'application/gzip';
/** OPA turns long polling on only when a 200 carries exactly this type. */
export const LONG_POLL_CONTENT_TYPE = 'application/vnd.openpolicyagent.bundles';

export interface BundleRouteOptions {
  readonly registry: BundleRegistry;
  readonly waiters: LongPollWaiters;
  readonly metrics: ServerMetrics;
  /** Upper bound on a client's `wait=`, so a held request always ends. */
  readonly maxWaitSeconds: number;
}

/**
 * `GET /bundles/<name>[.tar.gz]` the way OPA's downloader expects: a strong
 * ETag, 304 with the ETag echoed, and no Content-Encoding, because Go would
 * silently gunzip a labelled body and OPA would then read a plain tar.
 * With `Prefer: ...;wait=N` and a current ETag the request is held until a new
 * revision is published (200 at once) or about N seconds pass (304); it is
 * never answered 304 at once, which would make OPA re-poll in a hot loop.
 */
export function bundleRoutes(options: BundleRouteOptions): Router {
  const router = createRouter();
  router.get('/bundles/:name', async (ctx) => {
    const name = String(ctx.params['name']).replace(/\.tar\.gz$/, '');
    const current = options.registry.get(name);
    if (!current) throw new AppError('BUNDLE_NOT_FOUND', `bundle '${name}' is not published`);
    const { modes, waitSeconds } = parsePrefer(ctx.get('Prefer'));
    if (!etagMatches(ctx.get('If-None-Match'), current.etag)) {
      sendBundle(ctx, options.metrics, current, waitSeconds !== undefined, deltaFor(ctx, current, modes));
      return;
    }
    if (waitSeconds === undefined) {
      notModified(ctx, current);
      return;
    }
    const abort = new AbortController();
    ctx.req.once('close', () => abort.abort());
    const seconds = Math.min(waitSeconds, options.maxWaitSeconds);
    // A held poll is silent by design: the connection's idle timeout is lifted while it waits, and restored after.
    const socket = ctx.req.socket;
    const idle = socket.timeout ?? 0;
    socket.setTimeout(0);
    const next = await options.waiters.wait(name, seconds * 1000, abort.signal).finally(() => socket.setTimeout(idle));
    if (next) {
      options.metrics.deliveryLatency.observe({ bundle: name }, (Date.now() - next.publishedAt.getTime()) / 1000);
      sendBundle(ctx, options.metrics, next, true, deltaFor(ctx, next, modes));
    } else notModified(ctx, options.registry.get(name) ?? current);
  });
  router.get('/v1/bundles', (ctx) => {
    ctx.body = { bundles: options.registry.states() };
  });
  return router;
}

/** A delta only for a client that asks for one, runs exactly its base revision, and was not pinned to snapshots. */
function deltaFor(ctx: Context, bundle: PublishedBundle, modes: readonly string[]): Uint8Array | undefined {
  const delta = bundle.delta;
  if (!delta || !modes.includes('delta') || ctx.query['mode'] === 'snapshot') return undefined;
  return ctx.get('If-None-Match') === delta.baseEtag ? delta.bytes : undefined;
}

/** The snapshot, or the delta to it; both carry the snapshot's ETag, so the agent's next poll is the same either way. */
function sendBundle(ctx: Context, metrics: ServerMetrics, bundle: PublishedBundle, longPoll: boolean, delta?: Uint8Array): void {
  const bytes = delta ?? bundle.bytes;
  metrics.deliveries.inc({ bundle: bundle.name, type: delta ? 'delta' : 'snapshot' });
  ctx.set('ETag', bundle.etag);
  ctx.set('Cache-Control', 'no-transform');
  ctx.type = longPoll ? LONG_POLL_CONTENT_TYPE : BUNDLE_CONTENT_TYPE;
  ctx.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function notModified(ctx: Context, bundle: PublishedBundle): void {
  ctx.set('ETag', bundle.etag);
  ctx.set('Cache-Control', 'no-transform');
  ctx.status = 304;
}

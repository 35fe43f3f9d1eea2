import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { verifyToken, type Store } from '../store/index.js';
import { bearerToken, bundleNameOf, denial } from './auth.js';
import { etagMatches } from './etag.js';
import type { ServerMetrics } from './metrics.js';
import { parsePrefer } from './prefer.js';
import type { BundleRegistry, PublishedBundle } from './registry.js';

export interface NotModifiedOptions {
  readonly registry: BundleRegistry;
  readonly metrics: ServerMetrics;
  /** The token store when the fleet requires bearer tokens (auth.required); absent, bundles are open. */
  readonly tokens?: Store;
}

/** A path the bundles route matches, with nothing in it that Koa's URL parsing or the router could read differently. */
const BUNDLE_PATH = /^\/bundles\/([^/?#\s]+)(?:\?|$)/;

/**
 * Answers a conditional poll for an unchanged bundle (the bulk of a fleet's
 * traffic) in front of Koa, whose middleware stack costs several times the
 * work of the 304 itself. The response and the request count are the
 * ones the bundles route and the metrics middleware would produce; every
 * other request, and any doubt, goes to `koa` unchanged, so errors, 401s,
 * 403s and held long polls stay where they are defined.
 */
export function withNotModified(koa: RequestListener, options: NotModifiedOptions): RequestListener {
  const { registry, tokens } = options;
  const counted = options.metrics.requests.labels('/bundles/:name', 'GET', '304');
  const answer = (res: ServerResponse, etag: string): void => {
    res.writeHead(304, ['ETag', etag, 'Cache-Control', 'no-transform']);
    res.end();
    counted.inc();
  };
  return (req, res) => {
    const bundle = unchanged(req, registry);
    if (!bundle) return koa(req, res);
    if (!tokens) return answer(res, bundle.etag);
    // A GET has no body to lose while the token is checked, so Koa can still take the request afterwards.
    void authorized(tokens, req, bundle.name).then((ok) => {
      // The bundle may have been republished meanwhile; then the client gets the new one from Koa.
      const current = ok ? unchanged(req, registry) : undefined;
      if (current) answer(res, current.etag);
      else koa(req, res);
    });
  };
}

/** The bundle a request names when the bundles route would answer it 304 at once. */
function unchanged(req: IncomingMessage, registry: BundleRegistry): PublishedBundle | undefined {
  if (req.method !== 'GET') return undefined;
  const segment = BUNDLE_PATH.exec(req.url ?? '')?.[1];
  if (segment === undefined) return undefined;
  const bundle = registry.get(bundleNameOf(segment));
  if (!bundle || !etagMatches(req.headers['if-none-match'], bundle.etag)) return undefined;
  // A long poll is held until a change or its timeout, which only the bundles route does.
  const prefer = req.headers.prefer;
  if (prefer === undefined) return bundle;
  return typeof prefer === 'string' && parsePrefer(prefer).waitSeconds === undefined ? bundle : undefined;
}

/** True when the request carries a valid, unrevoked token that may download `bundle`, as requireTokens decides. */
async function authorized(tokens: Store, req: IncomingMessage, bundle: string): Promise<boolean> {
  const presented = bearerToken(req.headers.authorization);
  if (presented === undefined) return false;
  // A store failure is Koa's to report (as a 500 envelope), not ours to swallow into a 304.
  const token = await verifyToken(tokens, presented).catch(() => undefined);
  return token !== undefined && denial(token, { open: false, scope: 'bundles', bundle }) === undefined;
}

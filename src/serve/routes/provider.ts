import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Logger } from 'pino';
import { isAppError, messageOf } from '../../core/index.js';
import { answerKeys, parseProviderRequest, providerResponse, type VerdictLookup } from '../../gatekeeper/index.js';
import { readJsonBody, type BodyOptions } from '../body.js';
import { requireClientCert } from '../client-cert.js';
import { HTTP_STATUS } from '../errors.js';

export interface ProviderRouteOptions {
  /** The current verdict per (namespace, digest) from the inventory, or the stored scan verdicts without one. */
  readonly verdicts: VerdictLookup;
  readonly logger: Logger;
  /** Limits of the ProviderRequest body; 100 image references are a few KiB. */
  readonly body: BodyOptions;
  /** Answer only clients that presented a certificate the server's client CA signed (Gatekeeper's, for mTLS). */
  readonly requireClientCert: boolean;
}

/**
 * `POST /v1/gatekeeper/provider`: Gatekeeper's external-data protocol. Every
 * answer, errors included, is a ProviderResponse, so Gatekeeper can show the
 * reason: a malformed request is a 4xx with `systemError`, an image that
 * cannot be looked up is a per-key `error`, an unscanned image a verdict.
 */
export function providerRoutes(options: ProviderRouteOptions): Router {
  const router = createRouter();
  router.post('/v1/gatekeeper/provider', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      requireClientCert(ctx, options.requireClientCert);
      const keys = parseProviderRequest(await readJsonBody(ctx, options.body));
      ctx.body = await answerKeys(keys, options.verdicts);
    } catch (err) {
      const status = isAppError(err) ? HTTP_STATUS[err.code] : 500;
      if (status >= 500) options.logger.error({ err, path: ctx.path }, 'provider request failed');
      ctx.status = status;
      ctx.body = providerResponse([], status < 500 ? messageOf(err) : 'internal error while looking up scan results');
    }
  });
  // Other methods get the same JSON shape rather than the router's plain-text 405.
  router.all('/v1/gatekeeper/provider', (ctx) => {
    ctx.status = 405;
    ctx.set('Allow', 'POST');
    ctx.body = providerResponse([], `${ctx.method} is not supported; POST a ProviderRequest`);
  });
  return router;
}

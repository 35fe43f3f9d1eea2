import Router from '@koa/router';
import { AppError } from '../../core/index.js';
import { etagMatches } from '../etag.js';
import type { BundleRegistry } from '../registry.js';

export const BUNDLE_CONTENT_TYPE = 'application/gzip';

/**
 * `GET /bundles/<name>[.tar.gz]` the way OPA's downloader expects: a strong
 * ETag, 304 with the ETag echoed, and no Content-Encoding, because Go would
 * silently gunzip a labelled body and OPA would then read a plain tar.
 */
export function bundleRoutes(registry: BundleRegistry): Router {
  const router = new Router();
  router.get('/bundles/:name', (ctx) => {
    const name = String(ctx.params['name']).replace(/\.tar\.gz$/, '');
    const bundle = registry.get(name);
    if (!bundle) throw new AppError('BUNDLE_NOT_FOUND', `bundle '${name}' is not published`);
    ctx.set('ETag', bundle.etag);
    ctx.set('Cache-Control', 'no-transform');
    if (etagMatches(ctx.get('If-None-Match'), bundle.etag)) {
      ctx.status = 304;
      return;
    }
    ctx.type = BUNDLE_CONTENT_TYPE;
    ctx.body = Buffer.from(bundle.bytes.buffer, bundle.bytes.byteOffset, bundle.bytes.byteLength);
  });
  router.get('/v1/bundles', (ctx) => {
    ctx.body = { bundles: registry.states() };
  });
  return router;
}

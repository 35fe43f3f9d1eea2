import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import { AppError } from '../../core/index.js';
import type { ServerMetrics } from '../metrics.js';
import type { BundleRegistry } from '../registry.js';

/**
 * `/health` (OPA-style: 200 `{}` while the process can serve), `/ready`
 * (200 once at least one bundle is published, so a load balancer does not send
 * agents to an empty server) and `/metrics` in Prometheus text format.
 */
export function healthRoutes(registry: BundleRegistry, metrics: ServerMetrics): Router {
  const router = createRouter();
  router.get('/health', (ctx) => {
    ctx.body = {};
  });
  router.get('/ready', (ctx) => {
    const published = registry.states().filter((s) => s.revision !== undefined).length;
    if (published === 0) throw new AppError('NOT_READY', 'no bundle is published yet');
    ctx.body = { bundles: published };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}

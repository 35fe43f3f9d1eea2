import Koa from 'koa';
import type { Logger } from 'pino';
import { errorEnvelope } from './error-middleware.js';
import type { BundleRegistry } from './registry.js';
import { bundleRoutes } from './routes/bundles.js';
import { healthRoutes } from './routes/health.js';

export interface AppDependencies {
  readonly registry: BundleRegistry;
  readonly logger: Logger;
}

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(errorEnvelope(deps.logger));
  for (const router of [healthRoutes(), bundleRoutes(deps.registry)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}

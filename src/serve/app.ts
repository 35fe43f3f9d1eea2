import Koa from 'koa';
import { DEFAULTS } from '../config/index.js';
import type { Logger } from 'pino';
import { consoleMiddleware } from '../console/index.js';
import { describeFailure, errorEnvelope } from './error-middleware.js';
import { useFleet, type FleetDependencies } from './fleet-app.js';
import { LongPollWaiters } from './long-poll.js';
import { ServerMetrics } from './metrics.js';
import type { BundleRegistry } from './registry.js';
import { bundleRoutes } from './routes/bundles.js';
import { healthRoutes } from './routes/health.js';
import { checkRoutes } from './routes/check.js';
import { dataRoutes, DEFAULT_MAX_REQUEST_BYTES } from './routes/data.js';
import { DEFAULT_READ_LIMITS, type ReadLimits } from '../bundle/index.js';
import { PolicyCache } from '../check/index.js';
import { kubernetesRoutes, type KubernetesDependencies } from './routes/gatekeeper.js';
import type { RunningInventory } from './inventory-server.js';
import { inventoryRoutes } from './routes/inventory.js';
import { ociRoutes } from './routes/oci.js';

export interface AppDependencies {
  /** Status and decision-log ingestion, fleet queries and token auth; absent in bundle-only tests. */
  readonly fleet?: FleetDependencies;
  readonly registry: BundleRegistry;
  readonly logger: Logger;
  /** Held long-poll requests; the server passes its own so it can release them on shutdown. */
  readonly waiters?: LongPollWaiters;
  readonly maxLongPollSeconds?: number;
  readonly metrics?: ServerMetrics;
  /** Largest JSON body of POST /v1/check and /v1/data (default 64 MiB: scan reports can be large). */
  readonly maxRequestBytes?: number;
  /** Limits for re-reading published bundles to evaluate them (they were validated on publishing). */
  readonly readLimits?: ReadLimits;
  /** Admission webhook, scan reports and the Gatekeeper provider; absent in bundle-only tests. */
  readonly kubernetes?: KubernetesDependencies;
  /** The runtime inventory and its findings API; absent in tests of other parts. */
  readonly inventory?: RunningInventory;
  /** The web console under /ui/ (needs the fleet store and the inventory); absent or disabled: no console. */
  readonly ui?: { readonly enabled: boolean; readonly loginExpiryMs: number; readonly secure: boolean };
}

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  app.silent = true;
  const waiters = deps.waiters ?? new LongPollWaiters();
  const metrics = deps.metrics ?? new ServerMetrics(deps.registry, waiters);
  app.use(metrics.middleware());
  app.use(errorEnvelope(deps.logger));
  // Before the bearer-token check: console pages have their own login (a form and a cookie), never a bearer token.
  if (deps.ui?.enabled && deps.fleet && deps.inventory) useConsole(app, deps, deps.fleet, deps.inventory, deps.ui);
  if (deps.fleet) useFleet(app, { ...deps.fleet, onStored: (kind, count) => metrics.ingested.inc({ kind }, count) });
  deps.registry.on('published', (bundle) => waiters.notify(bundle));
  const bundles = bundleRoutes({
    registry: deps.registry,
    waiters,
    metrics,
    maxWaitSeconds: deps.maxLongPollSeconds ?? DEFAULTS.maxLongPollSeconds,
  });
  const evaluation = {
    registry: deps.registry,
    cache: new PolicyCache(deps.readLimits ?? DEFAULT_READ_LIMITS),
    maxBodyBytes: deps.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
  };
  deps.registry.on('withdrawn', (name: string) => evaluation.cache.forget(name));
  app.use(dataRoutes(evaluation));
  const hooks = deps.inventory ? { inventory: deps.inventory.hooks } : {};
  const kubernetes = deps.kubernetes
    ? kubernetesRoutes({ ...deps.kubernetes, ...hooks, registry: deps.registry, cache: evaluation.cache, logger: deps.logger })
    : [];
  // Before the Kubernetes routes: GET /v1/reports/kubernetes must not be taken for /v1/reports/<digest>.
  const inventory = deps.inventory ? [inventoryRoutes(deps.inventory)] : [];
  for (const router of [healthRoutes(deps.registry, metrics), bundles, ociRoutes(deps.registry), checkRoutes(evaluation), ...inventory, ...kubernetes]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}

function useConsole(app: Koa, deps: AppDependencies, fleet: FleetDependencies, inventory: RunningInventory, ui: NonNullable<AppDependencies['ui']>): void {
  app.use(
    consoleMiddleware({
      store: inventory.engine.store,
      clock: inventory.engine.clock,
      bundles: () => deps.registry.states(),
      decisionLimits: fleet.page,
      ...(fleet.authRequired ? { login: { expiryMs: ui.loginExpiryMs, secure: ui.secure } } : {}),
      failure: (err, path) => describeFailure(err, deps.logger, path),
    }),
  );
}

import Koa from 'koa';
import type { Logger } from 'pino';
import type { ReadLimits } from '../bundle/index.js';
import { DEFAULTS } from '../config/index.js';
import { consoleMiddleware } from '../console/index.js';
import { BUNDLE_LIMITS, EVALUATION_LIMITS, MAX_JSON_DEPTH, REQUEST_LIMITS } from '../core/index.js';
import type { EvaluationLimits } from '../evaluate/index.js';
import { restoreIdleTimeout, type BodyOptions } from './body.js';
import { describeFailure, errorEnvelope } from './error-middleware.js';
import { defaultEvaluationThreads, Evaluator } from './evaluator.js';
import { fleetRoutes, type FleetDependencies } from './fleet-app.js';
import { requireTokens } from './auth.js';
import { LongPollWaiters } from './long-poll.js';
import { ServerMetrics } from './metrics.js';
import type { BundleRegistry } from './registry.js';
import { canonicalizePath, methodNotAllowed } from './request-path.js';
import { bundleRoutes } from './routes/bundles.js';
import { checkRoutes } from './routes/check.js';
import { dataRoutes } from './routes/data.js';
import { kubernetesRoutes, type KubernetesDependencies } from './routes/gatekeeper.js';
import { healthRoutes } from './routes/health.js';
import type { RunningInventory } from './inventory-server.js';
import { inventoryRoutes } from './routes/inventory.js';
import { ociRoutes } from './routes/oci.js';

/** The limits the server applies to bundles, request bodies and evaluation: the configuration's, else the defaults. */
export interface ServeLimits {
  readonly bundle: ReadLimits;
  readonly evaluation: EvaluationLimits;
  /** Bodies of POST /v1/check, /v1/data and /v1/reports, and the nesting of every JSON body. */
  readonly requests: { readonly maxBodyBytes: number; readonly maxDepth: number };
}

export const DEFAULT_SERVE_LIMITS: ServeLimits = {
  bundle: BUNDLE_LIMITS,
  evaluation: EVALUATION_LIMITS,
  requests: { maxBodyBytes: REQUEST_LIMITS.maxBodyBytes, maxDepth: MAX_JSON_DEPTH },
};

export interface AppDependencies {
  /** Status and decision-log ingestion, fleet queries and token auth; absent in bundle-only tests. */
  readonly fleet?: FleetDependencies;
  readonly registry: BundleRegistry;
  readonly logger: Logger;
  /** Held long-poll requests; the server passes its own so it can release them on shutdown. */
  readonly waiters?: LongPollWaiters;
  readonly maxLongPollSeconds?: number;
  readonly metrics?: ServerMetrics;
  readonly limits?: Partial<ServeLimits>;
  /** Where evaluations run; the server passes its own so it can stop the workers on shutdown. */
  readonly evaluator?: Evaluator;
  /** Admission webhook, scan reports and the Gatekeeper provider; absent in bundle-only tests. */
  readonly kubernetes?: KubernetesDependencies;
  /** The runtime inventory and its findings API; absent in tests of other parts. */
  readonly inventory?: RunningInventory;
  /** The web console under /ui/ (needs the fleet store and the inventory); absent or disabled: no console. */
  readonly ui?: { readonly enabled: boolean; readonly loginExpiryMs: number; readonly secure: boolean };
}

/** An evaluator for `limits`, with the default worker threads. */
export function createEvaluator(limits: Partial<ServeLimits> = {}): Evaluator {
  const { bundle, evaluation, requests } = { ...DEFAULT_SERVE_LIMITS, ...limits };
  return new Evaluator({
    read: bundle,
    evaluation,
    maxDepth: requests.maxDepth,
    threads: defaultEvaluationThreads(),
    offloadBytes: REQUEST_LIMITS.offloadBytes,
    maxQueued: 64,
  });
}

/**
 * The Koa application: metrics, the error envelope, the one path
 * normalisation that auth and routing both read, auth, then the routes.
 */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  app.silent = true;
  const limits = { ...DEFAULT_SERVE_LIMITS, ...deps.limits };
  const waiters = deps.waiters ?? new LongPollWaiters();
  const metrics = deps.metrics ?? new ServerMetrics(deps.registry, waiters);
  const evaluator = deps.evaluator ?? createEvaluator(limits);
  app.use(metrics.middleware());
  app.use(errorEnvelope(deps.logger));
  app.use(canonicalizePath());
  app.use(restoreIdleTimeout());
  const fleet = deps.fleet;
  // Before the bearer-token check: console pages have their own login (a form and a cookie), never a bearer token.
  if (deps.ui?.enabled && fleet && deps.inventory) useConsole(app, deps, fleet, deps.inventory, deps.ui);
  if (fleet?.authRequired) app.use(requireTokens(fleet.store));
  deps.registry.on('published', (bundle) => waiters.notify(bundle));
  deps.registry.on('withdrawn', (name: string) => evaluator.forget(name));
  const body: BodyOptions = {
    maxBytes: limits.requests.maxBodyBytes,
    limitName: 'limits.max_request_bytes',
    maxDepth: limits.requests.maxDepth,
    invalid: 'REQUEST_INVALID',
  };
  const evaluation = { registry: deps.registry, evaluator, body };
  const hooks = deps.inventory ? { inventory: deps.inventory.hooks } : {};
  const routers = [
    ...(fleet ? fleetRoutes({ ...fleet, onStored: (kind, count) => metrics.ingested.inc({ kind }, count) }) : []),
    healthRoutes(deps.registry, metrics),
    bundleRoutes({ registry: deps.registry, waiters, metrics, maxWaitSeconds: deps.maxLongPollSeconds ?? DEFAULTS.maxLongPollSeconds }),
    ociRoutes(deps.registry),
    dataRoutes(evaluation),
    checkRoutes(evaluation),
    // Before the Kubernetes routes: GET /v1/reports/kubernetes must not be taken for /v1/reports/<digest>.
    ...(deps.inventory ? [inventoryRoutes(deps.inventory, body)] : []),
    ...(deps.kubernetes ? kubernetesRoutes({ ...deps.kubernetes, ...hooks, registry: deps.registry, evaluator, logger: deps.logger, body }) : []),
  ];
  app.use(methodNotAllowed(routers));
  for (const router of routers) app.use(router.routes());
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
      failure: (err, request) => describeFailure(err, deps.logger, request),
    }),
  );
}

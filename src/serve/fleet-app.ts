import type Koa from 'koa';
import type { Store } from '../store/index.js';
import { requireTokens } from './auth.js';
import type { PageLimits } from '../fleet/index.js';
import type { BodyLimits } from './ingest/body.js';
import { agentRoutes } from './routes/agents.js';
import { decisionRoutes } from './routes/decisions.js';
import { logRoutes } from './routes/logs.js';
import { statusRoutes } from './routes/status.js';

/** The fleet side of the server: status and decision-log ingestion, fleet queries, bearer-token auth. */
export interface FleetDependencies {
  readonly store: Store;
  /** When true every route but /health and /ready needs a token (see auth.ts). */
  readonly authRequired: boolean;
  readonly ingest: BodyLimits;
  readonly page: PageLimits;
  readonly onStored?: (kind: 'status' | 'decisions', count: number) => void;
}

/** Mounts auth first, so it guards every route added after it, then the fleet routes. */
export function useFleet(app: Koa, deps: FleetDependencies): void {
  if (deps.authRequired) app.use(requireTokens(deps.store));
  const ingest = { store: deps.store, limits: deps.ingest, ...(deps.onStored ? { onStored: deps.onStored } : {}) };
  for (const router of [statusRoutes(ingest), logRoutes(ingest), agentRoutes(deps.store), decisionRoutes(deps.store, deps.page)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
}

import type Router from '@koa/router';
import type { Store } from '../store/index.js';
import type { PageLimits } from '../fleet/index.js';
import type { IngestLimits } from './ingest/body.js';
import { agentRoutes } from './routes/agents.js';
import { decisionRoutes } from './routes/decisions.js';
import { logRoutes } from './routes/logs.js';
import { statusRoutes } from './routes/status.js';

/** The fleet side of the server: status and decision-log ingestion, fleet queries, bearer-token auth. */
export interface FleetDependencies {
  readonly store: Store;
  /** When true every route but /health and /ready needs a token (see auth.ts). */
  readonly authRequired: boolean;
  readonly ingest: IngestLimits;
  readonly page: PageLimits;
  readonly onStored?: (kind: 'status' | 'decisions', count: number) => void;
}

/** The fleet routes; createApp mounts them after the token check (auth.ts) when auth is required. */
export function fleetRoutes(deps: FleetDependencies): Router[] {
  const ingest = { store: deps.store, limits: deps.ingest, ...(deps.onStored ? { onStored: deps.onStored } : {}) };
  return [statusRoutes(ingest), logRoutes(ingest), agentRoutes(deps.store), decisionRoutes(deps.store, deps.page)];
}

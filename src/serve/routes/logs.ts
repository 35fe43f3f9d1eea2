import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Context } from 'koa';
import { authOf } from '../auth.js';
import { readIngestBody } from '../ingest/body.js';
import { decisionRecords } from '../ingest/records.js';
import { assertEvents } from '../ingest/schemas.js';
import type { IngestDependencies } from './status.js';

/**
 * OPA's Decision Log API: `POST /logs[/<partition>]` with a (usually gzip)
 * JSON array of EventV1. The whole batch is validated before anything is
 * written, and written in one transaction, so a refused batch leaves no rows
 * and OPA's retry of it does not duplicate any.
 */
export function logRoutes(deps: IngestDependencies): Router {
  const router = createRouter();
  const handle = async (ctx: Context) => {
    const events = assertEvents(await readIngestBody(ctx, deps.limits));
    const stored = await deps.store.recordDecisions(decisionRecords(events, authOf(ctx)), new Date());
    deps.onStored?.('decisions', stored);
    ctx.status = 200;
    ctx.body = {};
  };
  router.post('/logs', handle);
  router.post('/logs/*partition', handle);
  return router;
}

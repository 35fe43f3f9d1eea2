import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Context } from 'koa';
import { authOf } from '../auth.js';
import { readIngestBody, type IngestLimits } from '../ingest/body.js';
import { statusRecord } from '../ingest/records.js';
import { assertStatus } from '../ingest/schemas.js';
import type { Store } from '../../store/index.js';

export interface IngestDependencies {
  readonly store: Store;
  readonly limits: IngestLimits;
  /** Called with the number of records stored, for metrics. */
  readonly onStored?: (kind: 'status' | 'decisions', count: number) => void;
}

/**
 * OPA's Status API: `POST /status[/<partition>]` with an UpdateRequestV1.
 * Answers 200 `{}` once stored (older agents take anything else as failure).
 */
export function statusRoutes(deps: IngestDependencies): Router {
  const router = createRouter();
  const handle = async (ctx: Context, partition: string | undefined) => {
    const update = assertStatus(await readIngestBody(ctx, deps.limits));
    await deps.store.recordStatus(statusRecord(update, partition, authOf(ctx), new Date()));
    deps.onStored?.('status', 1);
    ctx.status = 200;
    ctx.body = {};
  };
  router.post('/status', (ctx) => handle(ctx, undefined));
  router.post('/status/*partition', (ctx) => handle(ctx, String(ctx.params['partition'])));
  return router;
}

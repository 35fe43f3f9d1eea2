import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Store } from '../../store/index.js';
import { toCsv } from '../../core/index.js';
import { DECISION_COLUMNS, parseDecisionQuery, type PageLimits } from '../../fleet/index.js';
import { wantsCsv } from './agents.js';

/**
 * `GET /v1/decisions`: stored decision-log events, newest first, filtered
 * and paged with an opaque cursor (`next_cursor` in JSON, the
 * `X-Next-Cursor` header for CSV).
 */
export function decisionRoutes(store: Store, limits: PageLimits): Router {
  const router = createRouter();
  router.get('/v1/decisions', async (ctx) => {
    const csv = wantsCsv(ctx);
    const page = await store.queryDecisions(parseDecisionQuery(ctx.query, limits));
    ctx.set('Cache-Control', 'no-store');
    if (page.next_cursor !== undefined) ctx.set('X-Next-Cursor', page.next_cursor);
    if (csv) {
      ctx.type = 'text/csv; charset=utf-8';
      ctx.body = toCsv(DECISION_COLUMNS, page.decisions);
    } else {
      ctx.body = page;
    }
  });
  return router;
}

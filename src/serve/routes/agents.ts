import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Context } from 'koa';
import { AppError, toCsv } from '../../core/index.js';
import type { Store } from '../../store/index.js';
import { AGENT_COLUMNS } from '../../fleet/index.js';

/** CSV when asked for with `?format=csv` or `Accept: text/csv`; JSON otherwise. */
export function wantsCsv(ctx: Context): boolean {
  const format = ctx.query['format'];
  if (format === 'csv') return true;
  if (format !== undefined && format !== 'json') throw new AppError('REQUEST_INVALID', "'format' must be json or csv");
  return format === undefined && /\btext\/csv\b/i.test(ctx.get('Accept'));
}

/** `GET /v1/agents`: every agent that has sent a status update, with what it runs and its last error. */
export function agentRoutes(store: Store): Router {
  const router = createRouter();
  router.get('/v1/agents', async (ctx) => {
    const unknown = Object.keys(ctx.query).filter((k) => k !== 'format');
    if (unknown.length) throw new AppError('REQUEST_INVALID', `unknown query parameter '${unknown[0]}'`);
    const csv = wantsCsv(ctx);
    const agents = await store.listAgents();
    ctx.set('Cache-Control', 'no-store');
    if (csv) {
      ctx.type = 'text/csv; charset=utf-8';
      ctx.body = toCsv(AGENT_COLUMNS, agents);
    } else {
      ctx.body = { agents };
    }
  });
  return router;
}

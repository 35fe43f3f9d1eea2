import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import { DECISION_ENTRYPOINT } from '../../check/index.js';
import { getOutputFormat } from '../../report/index.js';
import { readBodyParts } from '../body.js';
import { bundleFor, type EvaluationRouteOptions } from './data.js';

/**
 * `POST /v1/check`: the inputs of `portcullis check` as JSON (see
 * CheckRequestBody), decided by the served bundle that holds
 * portcullis/scan/decision. Answers 200 with the JSON report whether the
 * decision is allow or deny; `?output=sarif` (or any --output format) renders
 * another format. Client mistakes are 4xx JSON errors. A large body is
 * parsed and decided in an evaluation worker, off the event loop.
 */
export function checkRoutes(options: EvaluationRouteOptions): Router {
  const router = createRouter();
  router.post('/v1/check', async (ctx) => {
    const output = getOutputFormat(typeof ctx.query['output'] === 'string' ? ctx.query['output'] : 'json').name;
    const body = await readBodyParts(ctx, options.body);
    const bundle = bundleFor(options.registry, DECISION_ENTRYPOINT);
    const result = await options.evaluator.run({ kind: 'check', body, output, now: new Date().toISOString() }, bundle);
    ctx.set('Cache-Control', 'no-store');
    if (bundle) ctx.set('X-Portcullis-Bundle', `${bundle.name}@${bundle.revision}`);
    ctx.type = result.type;
    const bytes = result.bytes;
    ctx.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Only once written to the socket ('finish'): until then the socket may still be reading it.
    ctx.res.once('finish', () => options.evaluator.release(bytes));
  });
  return router;
}

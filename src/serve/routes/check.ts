import Router from '@koa/router';
import { checkOptionsFromBody, checkRequestFromBody, DECISION_ENTRYPOINT, runCheck } from '../../check/index.js';
import { AppError, toolInfo } from '../../core/index.js';
import { getOutputFormat, toJsonReport, type ReportContext } from '../../report/index.js';
import { bundleFor, readJsonBody, type EvaluationRouteOptions } from './data.js';

/**
 * `POST /v1/check`: the inputs of `portcullis check` as JSON (see
 * CheckRequestBody), decided by the served bundle that holds
 * portcullis/scan/decision. Answers 200 with the JSON report whether the
 * decision is allow or deny; `?output=sarif` (or any --output format) renders
 * another format. Client mistakes are 4xx JSON errors.
 */
export function checkRoutes(options: EvaluationRouteOptions): Router {
  const router = new Router();
  router.post('/v1/check', async (ctx) => {
    const output = getOutputFormat(typeof ctx.query['output'] === 'string' ? ctx.query['output'] : 'json');
    const body = await readJsonBody(ctx, options.maxBodyBytes);
    if (body === undefined) throw new AppError('REQUEST_INVALID', 'request body is empty; send the inputs as a JSON object');
    const request = checkRequestFromBody(body, new Date());
    const bundle = bundleFor(options.registry, DECISION_ENTRYPOINT);
    if (!bundle) throw new AppError('BUNDLE_NOT_FOUND', `no published bundle provides ${DECISION_ENTRYPOINT}`);
    const { policy } = await options.cache.get(bundle);
    if (!policy) throw new AppError('EVAL_ENTRYPOINT_UNKNOWN', `bundle '${bundle.name}' has no Wasm module to evaluate ${DECISION_ENTRYPOINT}`);
    const result = runCheck(policy, request, checkOptionsFromBody(body));
    const decision = result.decision;
    const context: ReportContext = {
      target: result.target,
      artifacts: [...(request.reports ?? []), request.dockerfile, request.manifest].flatMap((f) => (f ? [f.path] : [])),
      now: result.results[0]?.input.now ?? new Date().toISOString(),
      tool: toolInfo(),
      ...(result.results.length > 1 ? { images: result.results.map((r) => ({ target: r.target, decision: r.decision })) } : {}),
      inputWarnings: result.inputWarnings,
    };
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Portcullis-Bundle', `${bundle.name}@${bundle.revision}`);
    ctx.type = output.mediaType;
    ctx.body = output.name === 'json' ? toJsonReport(decision, context) : output.format(decision, context);
  });
  return router;
}

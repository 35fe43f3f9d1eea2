import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Context } from 'koa';
import { rootContains } from '../../bundle/index.js';
import { AppError } from '../../core/index.js';
import { readBodyParts, type BodyOptions } from '../body.js';
import type { Evaluator } from '../evaluator.js';
import type { BundleRegistry, PublishedBundle } from '../registry.js';

export interface EvaluationRouteOptions {
  readonly registry: BundleRegistry;
  readonly evaluator: Evaluator;
  /** Size and nesting limits of the request body; larger bodies get 413 before they are read whole. */
  readonly body: BodyOptions;
}

const PREFIX = '/v1/data';

/**
 * OPA's Data API for clients that already talk to an OPA sidecar:
 * `POST /v1/data/<path>` with `{"input": ...}` answers `{"result": ...}`, or
 * `{}` when the document is undefined. The path is evaluated in the served
 * bundle whose roots contain it: a Wasm entrypoint is evaluated, a path into
 * the bundle's data returns that data; other rule paths cannot be evaluated
 * from Wasm and get a 404 naming the entrypoints. Only POST is offered: GET
 * with a URL-encoded input is not worth its size limits.
 */
export function dataRoutes(options: EvaluationRouteOptions): Router {
  const router = createRouter();
  const handle = async (ctx: Context) => {
    const path = dataPath(ctx.path);
    const body = await readBodyParts(ctx, options.body);
    const result = await options.evaluator.run({ kind: 'data', body, path }, bundleFor(options.registry, path));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = result.body;
  };
  router.post(PREFIX, handle);
  router.post(`${PREFIX}/*path`, handle);
  return router;
}

function dataPath(requestPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath.slice(PREFIX.length));
  } catch {
    throw new AppError('REQUEST_INVALID', 'the data path is not valid percent-encoding');
  }
  return decoded.replace(/^\/+|\/+$/g, '');
}

/** The published bundle whose roots contain `path` (roots are disjoint, so at most one). */
export function bundleFor(registry: BundleRegistry, path: string): PublishedBundle | undefined {
  for (const { name } of registry.states()) {
    const bundle = registry.get(name);
    if (bundle?.roots.some((root) => rootContains(root, path))) return bundle;
  }
  return undefined;
}

import Router from '@koa/router';

/** OPA-style health: 200 with an empty object while the process can serve. */
export function healthRoutes(): Router {
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = {};
  });
  return router;
}

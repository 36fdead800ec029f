import { Router } from '@koa/router';
import { currentUser } from '../auth/middleware.js';
import type { ApiDeps } from '../deps.js';

/** `GET /v1/stats/queues`: every work queue, the dead-letter queue and the timeline feed, with broker figures. */
export function queueStatsRoutes(deps: ApiDeps): Router {
  const router = new Router();
  router.get('/stats/queues', async (ctx) => {
    currentUser(ctx);
    ctx.body = { items: await deps.brokerQueues.list() };
  });
  return router;
}

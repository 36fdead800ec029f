import { Router } from '@koa/router';
import { z } from 'zod';
import { currentUser } from '../auth/middleware.js';
import type { ApiDeps } from '../deps.js';
import { notFound, parseOr400, ProblemError } from '../http/problem.js';
import { DeadLetterQueue } from './dead-letter.queue.js';
import { queryInt } from '../http/query-params.js';

const listQuery = z.strictObject({
  limit: queryInt(1, 200, 50),
});
const keyParam = z.string().regex(/^[a-f0-9]{24}$/, 'must be a dead letter key');

/** Dead letters can hold anyone's data: admins only (403 for others, who know the route exists). */
function requireAdmin(ctx: Parameters<typeof currentUser>[0]): void {
  if (!currentUser(ctx).admin)
    throw new ProblemError(403, 'Forbidden', 'the dead-letter queue is for admins only');
}

/** `GET /v1/dead-letters`, `POST /v1/dead-letters/:key/requeue`, `POST /v1/dead-letters/:key/discard`. */
export function deadLetterRoutes(deps: ApiDeps): Router {
  const dlq = new DeadLetterQueue(deps.runtime.amqp, deps.runtime.topology.queues.dead);
  const router = new Router();
  router.get('/dead-letters', async (ctx) => {
    requireAdmin(ctx);
    const q = parseOr400(listQuery, ctx.query, '', 'Invalid query');
    ctx.body = await dlq.list(q.limit);
  });
  for (const action of ['requeue', 'discard'] as const) {
    router.post(`/dead-letters/:key/${action}`, async (ctx) => {
      requireAdmin(ctx);
      const key = parseOr400(keyParam, ctx.params['key'], 'key');
      const done = await dlq[action](key);
      if (!done) throw notFound('dead letter');
      ctx.body = { [action === 'requeue' ? 'requeued' : 'discarded']: done };
    });
  }
  return router;
}

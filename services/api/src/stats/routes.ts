import { currentUser } from '../auth/middleware.js';
import type { ApiDeps } from '../deps.js';
import { route, type AnyRoute } from '../http/route-table.js';

/** `GET /v1/stats/queues`: every work queue and the dead-letter queue, with broker figures. */
export function queueStatsRoutes(deps: ApiDeps): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/stats/queues',
    tag: 'dashboard',
    summary:
      'Work queues and the dead-letter queue (`role`): messages, ready, unacked, consumers, publish/deliver rates',
    auth: 'token',
    responses: {
      200: {
        description: 'Queues',
        schema: {
          type: 'object',
          properties: { items: { type: 'array', items: { type: 'object' } } },
          required: ['items'],
        },
      },
    },
    handler: async (ctx) => {
      currentUser(ctx);
      ctx.body = { items: await deps.brokerQueues.list() };
    },
  });
}

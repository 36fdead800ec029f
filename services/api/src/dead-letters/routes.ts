import { z } from 'zod';
import { currentUser } from '../auth/middleware.js';
import type { ApiDeps } from '../deps.js';
import { notFound, parseOr400, ProblemError } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
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
export function deadLetterRoutes(deps: ApiDeps): AnyRoute[] {
  const dlq = new DeadLetterQueue(deps.runtime.amqp, deps.runtime.topology.queues.dead);
  const list = route({
    method: 'get',
    path: '/v1/dead-letters',
    tag: 'dashboard',
    summary: 'Messages in the dead-letter queue with why they died (admins)',
    auth: 'token',
    adminOnly: true,
    query: listQuery,
    responses: {
      200: {
        description: 'Dead letters',
        schema: {
          type: 'object',
          properties: { items: { type: 'array', items: deadLetter }, total: { type: 'integer' } },
          required: ['items'],
        },
      },
    },
    handler: async (ctx, { query: q }) => {
      requireAdmin(ctx);
      ctx.body = await dlq.list(q.limit);
    },
  });
  const actions = (['requeue', 'discard'] as const).map((action) => {
    const field = action === 'requeue' ? 'requeued' : 'discarded';
    return route({
      method: 'post',
      path: `/v1/dead-letters/{key}/${action}`,
      tag: 'dashboard',
      summary:
        action === 'requeue'
          ? 'Publish a dead letter again to its exchange and routing key (admins)'
          : 'Delete a dead letter (admins)',
      auth: 'token',
      adminOnly: true,
      params: { key: '^[a-f0-9]{24}$' },
      responses: {
        200: {
          description: 'Done',
          schema: { type: 'object', properties: { [field]: deadLetter }, required: [field] },
        },
      },
      handler: async (ctx) => {
        requireAdmin(ctx);
        const key = parseOr400(keyParam, ctx.params['key'], 'key');
        const done = await dlq[action](key);
        if (!done) throw notFound('dead letter');
        ctx.body = { [field]: done };
      },
    });
  });
  return [list, ...actions];
}

const deadLetter = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    reason: { type: ['string', 'null'] },
    queue: { type: ['string', 'null'] },
    exchange: { type: ['string', 'null'] },
    routingKey: { type: ['string', 'null'] },
    count: { type: 'integer' },
    firstDeathAt: { type: ['string', 'null'], format: 'date-time' },
    body: { type: 'string' },
    truncated: { type: 'boolean' },
    jobId: { type: ['string', 'null'] },
    type: { type: ['string', 'null'] },
  },
};

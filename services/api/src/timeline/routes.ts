import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN } from '../http/schemas.js';
import { timelineOf } from '@conveyor/jobs/store';
import type { TimelineStore } from './timeline.store.js';

/** `GET /v1/jobs/:id/timeline`: the job's lifecycle events, oldest first, from its history. */
export function timelineRoutes(deps: ApiDeps, store: TimelineStore): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/jobs/{id}/timeline',
    tag: 'dashboard',
    summary: 'The job’s lifecycle events, oldest first',
    auth: 'token',
    params: { id: ID_PATTERN },
    responses: {
      200: {
        description: 'Timeline',
        schema: {
          type: 'object',
          properties: {
            jobId: { type: 'string' },
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  status: { type: 'string' },
                  attempt: { type: 'integer' },
                  occurredAt: { type: 'string', format: 'date-time' },
                  error: { type: ['object', 'null'] },
                  runAt: { type: ['string', 'null'], format: 'date-time' },
                  workerId: { type: ['string', 'null'] },
                },
              },
            },
          },
          required: ['jobId', 'items'],
        },
      },
    },
    handler: async (ctx) => {
      const id = ctx.params['id'] ?? '';
      const job = await deps.repo.get(id, ownerScope(currentUser(ctx)));
      if (!job) throw notFound('job');
      // n.b. a job's history is in its document; jobs stored before that have job_events
      const events = timelineOf(job) ?? (await store.forJob(id));
      ctx.body = {
        jobId: id,
        items: events.map((e) => ({
          status: e.status,
          attempt: e.attempt,
          occurredAt: e.occurredAt.toISOString(),
          error: e.error,
          runAt: e.runAt ? e.runAt.toISOString() : null,
          workerId: e.workerId,
        })),
      };
    },
  });
}

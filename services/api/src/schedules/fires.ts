import { z } from 'zod';
import { InvalidCronError, nextFireTimes, parseCron, toJobResource } from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import { newestJobs } from '../dashboard/job-reads.js';
import type { ApiDeps } from '../deps.js';
import { notFound, ProblemError } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN, jobPageSchema } from '../http/schemas.js';
import { queryInt } from '../http/query-params.js';

const previewQuery = z.strictObject({
  cron: z.string().min(1).max(200),
  timezone: z.string().min(1).max(100).default('UTC'),
  count: queryInt(1, 20, 5),
});

const firesQuery = z.strictObject({
  limit: queryInt(1, 100, 10),
});

/**
 * `GET /v1/cron/preview?cron=&timezone=&count=`: the next fire times of an expression in a zone
 * (what a schedule with it would do), or a 400 naming the wrong field. `GET
 * /v1/schedules/:id/fires`: the jobs the schedule created, newest first (its recent fires).
 */
export function scheduleFireRoutes(deps: ApiDeps): AnyRoute[] {
  const preview = route({
    method: 'get',
    path: '/v1/cron/preview',
    tag: 'schedules',
    summary: 'Next fire times of a cron expression in a time zone',
    auth: 'token',
    query: previewQuery,
    responses: {
      200: {
        description: 'Fire times',
        schema: {
          type: 'object',
          properties: {
            cron: { type: 'string' },
            timezone: { type: 'string' },
            next: { type: 'array', items: { type: 'string', format: 'date-time' } },
          },
          required: ['cron', 'timezone', 'next'],
        },
      },
    },
    handler: (ctx, { query: q }) => {
      currentUser(ctx);
      try {
        const cron = parseCron(q.cron, q.timezone);
        ctx.body = {
          cron: q.cron,
          timezone: q.timezone,
          next: nextFireTimes(cron, q.timezone, new Date(), q.count).map((d) => d.toISOString()),
        };
      } catch (err) {
        if (!(err instanceof InvalidCronError)) throw err;
        throw new ProblemError(400, 'Invalid query', 'The cron expression is invalid.', [
          { field: err.field, message: err.message },
        ]);
      }
    },
  });

  const fires = route({
    method: 'get',
    path: '/v1/schedules/{id}/fires',
    tag: 'schedules',
    summary: 'The jobs a schedule created, newest first (its recent fires)',
    auth: 'token',
    params: { id: ID_PATTERN },
    query: firesQuery,
    responses: { 200: { description: 'Fires', schema: jobPageSchema } },
    handler: async (ctx, { query: q }) => {
      const owner = ownerScope(currentUser(ctx));
      const id = ctx.params['id'] ?? '';
      if (!(await deps.schedules.get(id, owner))) throw notFound('schedule');
      // n.b. the {scheduleId, status} index narrows to this schedule's jobs
      const jobs = await newestJobs(deps.runtime.mongo, { scheduleId: id }, q.limit);
      ctx.body = { items: jobs.map(toJobResource), nextCursor: null };
    },
  });
  return [preview, fires];
}

import {
  listPausedTypes,
  PAUSED_TYPES_CACHE_MS,
  pauseType,
  resumeType,
  type JobDoc,
} from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { jobFilter, jobsCollection } from '../dashboard/job-reads.js';
import type { ApiDeps } from '../deps.js';
import { notFound, ProblemError } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';

const TYPE_PARAM = '^[a-z][a-z0-9_.-]{0,99}$';

/** The signed-in admin's `sub`; a 403 saying `what` is for admins only, for anyone else. */
export function requireAdmin(
  ctx: Parameters<typeof currentUser>[0],
  what = 'pausing job types',
): string {
  const user = currentUser(ctx);
  if (!user.admin) throw new ProblemError(403, 'Forbidden', `${what} is for admins only`);
  return user.sub;
}

const pausedDoc = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    pausedAt: { type: 'string', format: 'date-time' },
    by: { type: 'string' },
    waiting: { type: 'integer', description: 'Jobs of the type queued, waiting for the resume' },
  },
  required: ['type', 'pausedAt', 'by', 'waiting'],
};

/**
 * Pause and resume of a job type, fleet-wide and durable (`paused_types`): a worker asks
 * before each claim (cached for about a second) and leaves a paused type's job queued, its
 * attempt unspent; jobs already running finish. Resume dispatches the type's queued jobs again.
 * `GET /v1/paused-types` (anyone signed in), `POST|DELETE /v1/job-types/{type}/pause` (admins).
 */
export function pauseRoutes(deps: ApiDeps): AnyRoute[] {
  const conn = deps.runtime.mongo;
  const waiting = (type: string) =>
    // n.b. the {status, runAt} index narrows to queued jobs; few types are ever paused
    jobsCollection(conn).countDocuments(jobFilter({ status: 'queued', type }));

  const list = route({
    method: 'get',
    path: '/v1/paused-types',
    tag: 'operations',
    summary: 'Paused job types, with how many jobs of each wait',
    auth: 'token',
    responses: {
      200: {
        description: 'Paused types',
        schema: {
          type: 'object',
          properties: { items: { type: 'array', items: pausedDoc } },
          required: ['items'],
        },
      },
    },
    handler: async (ctx) => {
      currentUser(ctx);
      const docs = await listPausedTypes(conn);
      ctx.body = {
        items: await Promise.all(
          docs.map(async (d) => ({
            type: d._id,
            pausedAt: d.pausedAt.toISOString(),
            by: d.by,
            waiting: await waiting(d._id),
          })),
        ),
      };
    },
  });

  const pause = route({
    method: 'post',
    path: '/v1/job-types/{type}/pause',
    tag: 'operations',
    summary: 'Pause a job type fleet-wide (admins): its jobs wait, no attempt spent',
    auth: 'token',
    adminOnly: true,
    params: { type: TYPE_PARAM },
    responses: { 200: { description: 'Paused', schema: pausedDoc } },
    handler: async (ctx) => {
      const by = requireAdmin(ctx);
      const type = ctx.params['type'] ?? '';
      if (!(await deps.core.catalogue.lookup([type]))(type)) throw notFound('job type');
      const doc = await pauseType(conn, type, by);
      ctx.body = {
        type,
        pausedAt: doc.pausedAt.toISOString(),
        by: doc.by,
        waiting: await waiting(type),
      };
    },
  });

  const resume = route({
    method: 'delete',
    path: '/v1/job-types/{type}/pause',
    tag: 'operations',
    summary: 'Resume a paused job type (admins): its queued jobs are dispatched again',
    auth: 'token',
    adminOnly: true,
    params: { type: TYPE_PARAM },
    responses: {
      200: {
        description: 'Resumed',
        schema: {
          type: 'object',
          properties: { type: { type: 'string' }, redispatched: { type: 'integer' } },
          required: ['type', 'redispatched'],
        },
      },
    },
    handler: async (ctx) => {
      requireAdmin(ctx);
      const type = ctx.params['type'] ?? '';
      if (!(await resumeType(conn, type))) throw notFound('paused job type');
      // n.b. a worker may still hold the pause for one cache period: dispatch after it
      await new Promise((resolve) => setTimeout(resolve, PAUSED_TYPES_CACHE_MS + 200));
      const jobs = (await jobsCollection(conn)
        // n.b. jobs held by a limit or fair dispatch are released by those, not here
        .find({ ...jobFilter({ status: 'queued', type }), holdKey: null })
        .toArray()) as JobDoc[];
      let redispatched = 0;
      for (let i = 0; i < jobs.length; i += 50) {
        const sent = await Promise.all(
          jobs.slice(i, i + 50).map((j) => deps.dispatcher.dispatch(j)),
        );
        redispatched += sent.filter(Boolean).length;
      }
      ctx.body = { type, redispatched };
    },
  });

  return [list, pause, resume];
}

import { QUEUE_NAME } from '@conveyor/contracts';
import {
  listPausedQueues,
  listPausedTypes,
  PAUSED_TYPES_CACHE_MS,
  pauseQueue,
  pauseType,
  resumeQueue,
  resumeType,
  type JobDoc,
} from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { jobFilter, jobsCollection } from '../dashboard/job-reads.js';
import type { ApiDeps } from '../deps.js';
import { notFound, ProblemError } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';

const TYPE_PARAM = '^[a-z][a-z0-9_.-]{0,99}$';
const QUEUE_PARAM = QUEUE_NAME.source;

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
 * Dispatches again the queued jobs of `types` after a resume, once no worker can still hold
 * the pause (one cache period); answers how many dispatches were sent. Jobs held by a limit
 * or fair dispatch are left to those. A job whose type or queue is still paused otherwise is
 * left queued again by the worker, unspent.
 */
export async function redispatchQueued(deps: ApiDeps, types: readonly string[]): Promise<number> {
  if (types.length === 0) return 0;
  // n.b. a worker may still hold the pause for one cache period: dispatch after it
  await new Promise((resolve) => setTimeout(resolve, PAUSED_TYPES_CACHE_MS + 200));
  const jobs = (await jobsCollection(deps.runtime.mongo)
    // n.b. jobs held by a limit or fair dispatch are released by those, not here
    .find({ ...jobFilter({ status: 'queued', type: { $in: [...types] } }), holdKey: null })
    .toArray()) as JobDoc[];
  let redispatched = 0;
  for (let i = 0; i < jobs.length; i += 50) {
    const sent = await Promise.all(jobs.slice(i, i + 50).map((j) => deps.dispatcher.dispatch(j)));
    redispatched += sent.filter(Boolean).length;
  }
  return redispatched;
}

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
      ctx.body = { type, redispatched: await redispatchQueued(deps, [type]) };
    },
  });

  return [list, pause, resume];
}

const pausedQueueDoc = {
  type: 'object',
  properties: {
    queue: { type: 'string' },
    pausedAt: { type: 'string', format: 'date-time' },
    by: { type: 'string' },
    types: {
      type: 'array',
      items: { type: 'string' },
      description: 'The job types the catalogue binds to the queue',
    },
    waiting: {
      type: 'integer',
      description: "Jobs of the queue's types queued, waiting for the resume",
    },
  },
  required: ['queue', 'pausedAt', 'by', 'types', 'waiting'],
};

/** The 400 of a queue name that cannot be one (see `QUEUE_NAME`). */
function checkQueueName(queue: string): string {
  if (!QUEUE_NAME.test(queue))
    throw new ProblemError(400, 'Invalid request', 'The request has invalid fields; see errors.', [
      {
        field: 'queue',
        message:
          'must be a queue name: lower-case letters, digits and -, starting with a letter, at most 63 characters',
      },
    ]);
  return queue;
}

/**
 * Pause and resume of a queue (worker group), fleet-wide and durable (`paused_queues`): the
 * same check as a type's pause, by the queue the catalogue binds each type to, so a worker
 * leaves every job of the queue's types queued, its attempt unspent, while other queues run.
 * Resume dispatches the queue's queued jobs again, as a type's resume does.
 * `GET /v1/paused-queues` (anyone signed in), `POST|DELETE /v1/queues/{queue}/pause` (admins).
 */
export function queuePauseRoutes(deps: ApiDeps): AnyRoute[] {
  const conn = deps.runtime.mongo;
  const { catalogue } = deps.core;
  /** Queue -> the types bound to it, from the catalogue (read again once for a name it lacks). */
  const groups = async (want?: string): Promise<Map<string, string[]>> => {
    const read = async () => {
      const out = new Map<string, string[]>();
      for (const r of await catalogue.records())
        out.set(r.entry.queue, [...(out.get(r.entry.queue) ?? []), r.entry.name]);
      return out;
    };
    const first = await read();
    if (want === undefined || first.has(want)) return first;
    // n.b. a worker of a new group may have registered a moment ago
    catalogue.invalidate();
    return read();
  };
  const unknownQueue = (queue: string, known: Map<string, string[]>) =>
    new ProblemError(
      404,
      'Not Found',
      `unknown queue ${JSON.stringify(queue)}; known queues: ${[...known.keys()].sort().join(', ') || '(none registered yet)'}`,
    );
  const waiting = (types: readonly string[]) =>
    types.length === 0
      ? Promise.resolve(0)
      : jobsCollection(conn).countDocuments(
          jobFilter({ status: 'queued', type: { $in: [...types] } }),
        );

  const list = route({
    method: 'get',
    path: '/v1/paused-queues',
    tag: 'operations',
    summary: 'Paused queues (worker groups), with how many jobs of their types wait',
    auth: 'token',
    responses: {
      200: {
        description: 'Paused queues',
        schema: {
          type: 'object',
          properties: { items: { type: 'array', items: pausedQueueDoc } },
          required: ['items'],
        },
      },
    },
    handler: async (ctx) => {
      currentUser(ctx);
      const docs = await listPausedQueues(conn);
      const known = docs.length > 0 ? await groups() : new Map<string, string[]>();
      ctx.body = {
        items: await Promise.all(
          docs.map(async (d) => {
            const types = known.get(d._id) ?? [];
            return {
              queue: d._id,
              pausedAt: d.pausedAt.toISOString(),
              by: d.by,
              types,
              waiting: await waiting(types),
            };
          }),
        ),
      };
    },
  });

  const pause = route({
    method: 'post',
    path: '/v1/queues/{queue}/pause',
    tag: 'operations',
    summary: 'Pause a queue (worker group) fleet-wide (admins): its jobs wait, no attempt spent',
    auth: 'token',
    adminOnly: true,
    params: { queue: QUEUE_PARAM },
    responses: {
      200: { description: 'Paused', schema: pausedQueueDoc },
      400: {
        description: 'Not a queue name: `errors` names the field',
        contentType: 'application/problem+json',
      },
    },
    handler: async (ctx) => {
      const by = requireAdmin(ctx, 'pausing queues');
      const queue = checkQueueName(ctx.params['queue'] ?? '');
      const known = await groups(queue);
      const types = known.get(queue);
      if (!types) throw unknownQueue(queue, known);
      const doc = await pauseQueue(conn, queue, by);
      ctx.body = {
        queue,
        pausedAt: doc.pausedAt.toISOString(),
        by: doc.by,
        types,
        waiting: await waiting(types),
      };
    },
  });

  const resume = route({
    method: 'delete',
    path: '/v1/queues/{queue}/pause',
    tag: 'operations',
    summary: "Resume a paused queue (admins): its types' queued jobs are dispatched again",
    auth: 'token',
    adminOnly: true,
    params: { queue: QUEUE_PARAM },
    responses: {
      200: {
        description: 'Resumed',
        schema: {
          type: 'object',
          properties: { queue: { type: 'string' }, redispatched: { type: 'integer' } },
          required: ['queue', 'redispatched'],
        },
      },
      400: {
        description: 'Not a queue name: `errors` names the field',
        contentType: 'application/problem+json',
      },
    },
    handler: async (ctx) => {
      requireAdmin(ctx, 'resuming queues');
      const queue = checkQueueName(ctx.params['queue'] ?? '');
      const known = await groups(queue);
      if (!(await resumeQueue(conn, queue))) {
        if (!known.has(queue)) throw unknownQueue(queue, known);
        throw new ProblemError(404, 'Not Found', `queue ${JSON.stringify(queue)} is not paused`);
      }
      ctx.body = { queue, redispatched: await redispatchQueued(deps, known.get(queue) ?? []) };
    },
  });

  return [list, pause, resume];
}

import { LANES, PRIORITIES, laneOf, type Lane } from '@conveyor/contracts';
import { toJobResource, type JobDoc } from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import { jobFilter, jobsCollection, newestJobs } from '../dashboard/job-reads.js';
import type { ApiDeps } from '../deps.js';
import { route, schemaRef, type AnyRoute } from '../http/route-table.js';

/** Width of one bucket of the last-hour series. */
export const SERIES_BUCKET_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Per-minute counts of jobs that finished in the last hour, by outcome, oldest first. */
export interface ThroughputPoint {
  at: string;
  succeeded: number;
  failed: number;
  cancelled: number;
}

async function series(
  deps: ApiDeps,
  owner: string | undefined,
  now: Date,
): Promise<ThroughputPoint[]> {
  // Buckets aligned to the minute: the last one is the minute in progress.
  const end = Math.floor(now.getTime() / SERIES_BUCKET_MS) * SERIES_BUCKET_MS + SERIES_BUCKET_MS;
  const since = new Date(end - HOUR_MS);
  const rows = await jobsCollection(deps.runtime.mongo)
    .aggregate<{ _id: { m: number; s: string }; n: number }>([
      // n.b. served by the finishedAt index; at most one hour of finished jobs is read
      { $match: { finishedAt: { $gte: since }, ...(owner !== undefined ? { owner } : {}) } },
      {
        $group: {
          _id: {
            m: { $floor: { $divide: [{ $subtract: ['$finishedAt', since] }, SERIES_BUCKET_MS] } },
            s: '$status',
          },
          n: { $sum: 1 },
        },
      },
    ])
    .toArray();
  const points: ThroughputPoint[] = Array.from({ length: HOUR_MS / SERIES_BUCKET_MS }, (_, i) => ({
    at: new Date(since.getTime() + i * SERIES_BUCKET_MS).toISOString(),
    succeeded: 0,
    failed: 0,
    cancelled: 0,
  }));
  for (const r of rows) {
    const p = points[r._id.m];
    if (p && (r._id.s === 'succeeded' || r._id.s === 'failed' || r._id.s === 'cancelled'))
      p[r._id.s] += r.n;
  }
  return points;
}

/** The oldest queued job of a lane: how long the head of that queue has waited. */
async function oldestQueued(
  deps: ApiDeps,
  owner: string | undefined,
  types: readonly string[],
  lane: Lane,
): Promise<Date | null> {
  const [doc] = await jobsCollection(deps.runtime.mongo)
    .find(
      jobFilter({
        status: 'queued',
        type: { $in: types },
        priority: { $in: PRIORITIES.filter((p) => laneOf(p) === lane) },
        ...(owner !== undefined ? { owner } : {}),
      }),
    )
    .sort({ queuedAt: 1 })
    .limit(1)
    .project<Pick<JobDoc, 'queuedAt' | 'createdAt'>>({ queuedAt: 1, createdAt: 1 })
    .toArray();
  return doc ? (doc.queuedAt ?? doc.createdAt) : null;
}

/**
 * `GET /v1/stats/overview`: jobs per status now, the last hour's throughput and failures per
 * minute, per-lane queue depth and oldest queued job, running jobs and recent failures — all
 * of the caller's jobs (an admin's: everyone's). Counts are aggregations on indexed fields;
 * lists are capped at 10.
 */
export function overviewRoutes(deps: ApiDeps): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/stats/overview',
    tag: 'dashboard',
    summary:
      'Jobs per status, last hour per minute, lanes with depth and oldest queued job, running now, recent failures',
    auth: 'token',
    responses: {
      200: {
        description: 'Overview',
        schema: {
          type: 'object',
          properties: {
            at: { type: 'string', format: 'date-time' },
            counts: { type: 'object', additionalProperties: { type: 'integer' } },
            lastHour: { type: 'object' },
            lanes: { type: 'array', items: { type: 'object' } },
            running: { type: 'array', items: schemaRef('JobResource') },
            recentFailures: { type: 'array', items: schemaRef('JobResource') },
          },
          required: ['at', 'counts', 'lastHour', 'lanes', 'running', 'recentFailures'],
        },
      },
    },
    handler: async (ctx) => {
      const owner = ownerScope(currentUser(ctx));
      const now = new Date();
      const scope = owner !== undefined ? { owner } : {};
      const groups = new Map<string, string[]>();
      for (const { entry } of await deps.core.catalogue.records())
        groups.set(entry.queue, [...(groups.get(entry.queue) ?? []), entry.name]);
      const [counts, points, running, failures, lanes] = await Promise.all([
        // n.b. one count per status on the {owner, status, _id} / {status, …} indexes
        deps.repo.queries.countByStatus(owner),
        series(deps, owner, now),
        newestJobs(deps.runtime.mongo, { ...scope, status: 'running' }, 10),
        newestJobs(deps.runtime.mongo, { ...scope, status: 'failed' }, 10),
        Promise.all(
          [...groups].flatMap(([service, types]) =>
            LANES.map(async (lane) => {
              const queue = deps.runtime.topology.queues.work(service, lane);
              const [depth, oldest] = await Promise.all([
                deps.runtime.amqp
                  .withChannel((ch) => ch.checkQueue(queue))
                  .then((q) => ({ messages: q.messageCount, consumers: q.consumerCount }))
                  // n.b. a group seeded in the catalogue whose queue was never declared
                  .catch(() => ({ messages: 0, consumers: 0 })),
                oldestQueued(deps, owner, types, lane),
              ]);
              return {
                service,
                lane,
                queue,
                ...depth,
                oldestQueuedAt: oldest ? oldest.toISOString() : null,
                oldestAgeMs: oldest ? Math.max(0, now.getTime() - oldest.getTime()) : null,
              };
            }),
          ),
        ),
      ]);
      const finished = points.reduce(
        (a, p) => ({ ok: a.ok + p.succeeded, failed: a.failed + p.failed }),
        { ok: 0, failed: 0 },
      );
      ctx.body = {
        at: now.toISOString(),
        counts,
        lastHour: {
          bucketMs: SERIES_BUCKET_MS,
          succeeded: finished.ok,
          failed: finished.failed,
          failureRate:
            finished.ok + finished.failed > 0
              ? finished.failed / (finished.ok + finished.failed)
              : 0,
          series: points,
        },
        lanes,
        running: running.map(toJobResource),
        recentFailures: failures.map(toJobResource),
      };
    },
  });
}

import { laneOf, PRIORITIES, type Lane, type Priority } from '@conveyor/contracts';
import type { JobDoc } from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import { jobFilter, jobsCollection } from '../dashboard/job-reads.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN } from '../http/schemas.js';

/** How far back the finish rate behind an ETA looks. */
export const RATE_WINDOW_MS = 5 * 60_000;

/** Where a waiting job stands (`GET /v1/jobs/{id}/position`). */
export interface QueuePosition {
  status: JobDoc['status'];
  lane: Lane;
  /** 1 = next of its type and lane to start; null when the job is not queued. */
  position: number | null;
  /** Jobs of its type that were ended over the last five minutes, per minute. */
  finishedPerMinute: number;
  /** Seconds until it starts at that rate; null when it is not queued or nothing finished. */
  etaSeconds: number | null;
  /** A scheduled job's due time. */
  dueAt: string | null;
}

const lanePriorities = (lane: Lane): Priority[] => PRIORITIES.filter((p) => laneOf(p) === lane);

/**
 * The position of a queued job among the queued jobs of its type: every one in the priority
 * lane when it is in the standard lane (a worker starts higher priorities first), then those of
 * its own lane that became due before it (`runAt`, then id: the order they were queued in).
 * The ETA divides that position by the rate jobs of the type finished over the last five
 * minutes. Counts read the `{status, runAt}` index (queued jobs due before this one) and the
 * `finishedAt` index; other owners' jobs count but are never shown.
 */
export async function positionOf(
  deps: ApiDeps,
  job: JobDoc,
  now = new Date(),
): Promise<QueuePosition> {
  const jobs = jobsCollection(deps.runtime.mongo);
  const lane = laneOf(job.priority);
  const finished = await jobs.countDocuments(
    jobFilter({ finishedAt: { $gte: new Date(now.getTime() - RATE_WINDOW_MS) }, type: job.type }),
  );
  const finishedPerMinute = finished / (RATE_WINDOW_MS / 60_000);
  const base = { status: job.status, lane, finishedPerMinute };
  if (job.status !== 'queued')
    return {
      ...base,
      position: null,
      etaSeconds: null,
      dueAt: job.status === 'scheduled' ? job.runAt.toISOString() : null,
    };
  const [overtaking, before] = await Promise.all([
    lane === 'standard'
      ? jobs.countDocuments(
          jobFilter({
            status: 'queued',
            type: job.type,
            priority: { $in: lanePriorities('priority') },
          }),
        )
      : Promise.resolve(0),
    jobs.countDocuments(
      jobFilter({
        status: 'queued',
        $or: [{ runAt: { $lt: job.runAt } }, { runAt: job.runAt, _id: { $lt: job._id } }],
        type: job.type,
        priority: { $in: lanePriorities(lane) },
      }),
    ),
  ]);
  const position = overtaking + before + 1;
  return {
    ...base,
    position,
    etaSeconds: finished === 0 ? null : Math.round((position / finishedPerMinute) * 60),
    dueAt: null,
  };
}

/** `GET /v1/jobs/{id}/position`: a waiting job's place in line and its expected start. */
export function jobPositionRoutes(deps: ApiDeps): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/jobs/{id}/position',
    tag: 'jobs',
    summary:
      'Where a queued job stands among the queued jobs of its type and lane, and when it should start at the current rate',
    auth: 'token',
    params: { id: ID_PATTERN },
    responses: {
      200: {
        description: 'Position (null unless queued), finish rate and ETA',
        schema: {
          type: 'object',
          properties: {
            status: { type: 'string' },
            lane: { type: 'string', enum: ['standard', 'priority'] },
            position: { type: ['integer', 'null'], minimum: 1 },
            finishedPerMinute: { type: 'number' },
            etaSeconds: { type: ['integer', 'null'] },
            dueAt: { type: ['string', 'null'], format: 'date-time' },
          },
          required: ['status', 'lane', 'position', 'finishedPerMinute', 'etaSeconds', 'dueAt'],
        },
      },
    },
    handler: async (ctx) => {
      const job = await deps.repo.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
      if (!job) throw notFound('job');
      ctx.body = await positionOf(deps, job);
    },
  });
}

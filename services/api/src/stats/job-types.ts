import { z } from 'zod';
import { durationsOf } from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import { jobFilter, jobsCollection } from '../dashboard/job-reads.js';
import type { ApiDeps } from '../deps.js';
import { route, type AnyRoute } from '../http/route-table.js';

/** The windows `GET /v1/stats/types` offers, with their length. */
export const STATS_WINDOWS = { '5m': 5, '15m': 15, '1h': 60, '6h': 360, '24h': 1440, '7d': 10_080 };
type StatsWindow = keyof typeof STATS_WINDOWS;

/** Finished jobs read for one answer at most; beyond it the figures are of the newest ones. */
export const STATS_JOB_LIMIT = 100_000;

/** p50 / p95 of a sample in ms (nearest rank), null for an empty one. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

/** Figures of one job type over the window. */
export interface JobTypeFigures {
  type: string;
  /** Jobs that ended in the window, per outcome. */
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Ended jobs per minute over the window. */
  throughputPerMinute: number;
  /** `failed / (succeeded + failed)`, null when neither happened. */
  failureRate: number | null;
  /** Attempts beyond the first, summed over the jobs that ended in the window. */
  retries: number;
  /** Run time of the final attempt of the jobs that ended while running. */
  runMs: Percentiles;
  /** Queue wait of the final attempt. */
  queueWaitMs: Percentiles;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

interface Row {
  type: string;
  status: string;
  attempts: number;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The figures of `rows` (jobs that ended within `minutes`), one entry per type, by name. */
export function figuresOf(rows: readonly Row[], minutes: number): JobTypeFigures[] {
  const byType = new Map<string, Row[]>();
  for (const r of rows) {
    const list = byType.get(r.type);
    if (list) list.push(r);
    else byType.set(r.type, [r]);
  }
  return [...byType]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, list]) => {
      const n = (s: string) => list.filter((r) => r.status === s).length;
      const succeeded = n('succeeded');
      const failed = n('failed');
      const times = list.map(durationsOf);
      const sorted = (xs: (number | null)[]) =>
        xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
      const run = sorted(times.map((t) => t.runMs));
      const wait = sorted(times.map((t) => t.queueWaitMs));
      return {
        type,
        succeeded,
        failed,
        cancelled: n('cancelled'),
        throughputPerMinute: Math.round((list.length / minutes) * 100) / 100,
        failureRate: succeeded + failed === 0 ? null : failed / (succeeded + failed),
        retries: list.reduce((sum, r) => sum + Math.max(0, r.attempts - 1), 0),
        runMs: { p50: percentile(run, 50), p95: percentile(run, 95) },
        queueWaitMs: { p50: percentile(wait, 50), p95: percentile(wait, 95) },
      };
    });
}

const querySchema = z
  .object({
    window: z.enum(Object.keys(STATS_WINDOWS) as [StatsWindow, ...StatsWindow[]]).default('1h'),
  })
  .strict();

const percentilesDoc = {
  type: 'object',
  properties: {
    p50: { type: ['integer', 'null'] },
    p95: { type: ['integer', 'null'] },
  },
  required: ['p50', 'p95'],
};

/**
 * `GET /v1/stats/types?window=1h`: per job type, over the jobs that ended in the window —
 * outcomes, throughput, failure rate, retries, p50/p95 run time and queue wait. Your own jobs
 * unless admin. Reads the ended jobs of the window through the `finishedAt` index (at most
 * {@link STATS_JOB_LIMIT}, the newest; `truncated` says so).
 */
export function jobTypeStatsRoutes(deps: ApiDeps): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/stats/types',
    tag: 'dashboard',
    summary:
      'Per job type over a window (5m, 15m, 1h, 6h, 24h, 7d): ended jobs by outcome, throughput, failure rate, retries, p50/p95 run time and queue wait',
    auth: 'token',
    query: querySchema,
    responses: {
      200: {
        description: 'Figures per job type, by name',
        schema: {
          type: 'object',
          properties: {
            window: { type: 'string' },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            truncated: { type: 'boolean' },
            types: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  type: { type: 'string' },
                  succeeded: { type: 'integer' },
                  failed: { type: 'integer' },
                  cancelled: { type: 'integer' },
                  throughputPerMinute: { type: 'number' },
                  failureRate: { type: ['number', 'null'] },
                  retries: { type: 'integer' },
                  runMs: percentilesDoc,
                  queueWaitMs: percentilesDoc,
                },
                required: [
                  'type',
                  'succeeded',
                  'failed',
                  'cancelled',
                  'throughputPerMinute',
                  'failureRate',
                  'retries',
                  'runMs',
                  'queueWaitMs',
                ],
              },
            },
          },
          required: ['window', 'from', 'to', 'truncated', 'types'],
        },
      },
    },
    handler: async (ctx, { query }) => {
      const owner = ownerScope(currentUser(ctx));
      const minutes = STATS_WINDOWS[query.window];
      const to = new Date();
      const from = new Date(to.getTime() - minutes * 60_000);
      const rows = (await jobsCollection(deps.runtime.mongo)
        // n.b. served by the finishedAt index: only the window's ended jobs are read
        .find(
          jobFilter({ finishedAt: { $gte: from }, ...(owner !== undefined ? { owner } : {}) }),
          {
            projection: {
              _id: 0,
              type: 1,
              status: 1,
              attempts: 1,
              queuedAt: 1,
              startedAt: 1,
              finishedAt: 1,
            },
          },
        )
        .sort({ finishedAt: -1 })
        .limit(STATS_JOB_LIMIT + 1)
        .toArray()) as unknown as Row[];
      const truncated = rows.length > STATS_JOB_LIMIT;
      ctx.body = {
        window: query.window,
        from: from.toISOString(),
        to: to.toISOString(),
        truncated,
        types: figuresOf(truncated ? rows.slice(0, STATS_JOB_LIMIT) : rows, minutes),
      };
    },
  });
}

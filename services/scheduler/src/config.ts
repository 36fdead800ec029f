import { z } from 'zod';
import { baseConfigShape, env, loadConfig, type Env } from '@conveyor/platform';
import { parseCron } from '@conveyor/jobs';
import { isTimeZone } from '@conveyor/contracts';

/**
 * Scheduler configuration: the base variables (see `baseConfigShape`) and
 * - `METRICS_PORT` (9103).
 * - `SCAN_INTERVAL_MS` (1000): the longest the promoter and cron runner sleep between passes
 *   (the safety scan behind their next-due timers).
 * - `OUTBOX_GRACE_MS` (5000): how old an unconfirmed dispatch must be before the sweeper republishes it.
 * - `EVENT_GRACE_MS` (10000): how long a finished job's final lifecycle event may stay
 *   unconfirmed before the sweeper publishes it from the job document (its writer died
 *   between its write and its publish, or the broker was away).
 * - `REDISPATCH_AFTER_MS` (600000): a queued job whose dispatch went out this long ago while its
 *   service's queues are empty lost its message and is published again; 0 disables.
 * - `REAPER_INTERVAL_MS` (5000): how often expired leases are reaped (also the sweeper's period).
 * - `DIGEST_CRON` (`0 0 8 * * *`): when owners' digest emails are queued; `off` disables them.
 * - `DIGEST_TIMEZONE` (`UTC`): the zone `DIGEST_CRON` is read in.
 * - `RETENTION_DAYS` (14): finished jobs older than this are purged with their artifacts; 0 keeps them forever.
 * - `PURGE_INTERVAL_MS` (3600000): how often the retention purge runs.
 * - `CALLBACK_SWEEP_MS` (5000): how often completion callbacks whose lifecycle event was
 *   missed are looked for (and how old a pending callback must be to count).
 * - `WORKFLOW_SWEEP_MS` (5000): how often running workflows unchanged for that long are
 *   checked against their jobs and advanced (repairs lost events and interrupted advances).
 * - `FAIR_WINDOW` (200): ready messages a worker group's standard lane is topped up to from
 *   the backlog fair dispatch holds in the store; set it as the API's. 0 = fair dispatch off.
 * - `FAIR_RELEASE_MS` (100): how often the fair releaser tops the lanes up while a backlog waits.
 * - `LIMIT_SWEEP_MS` (500): how often jobs held by a full concurrency limit are checked
 *   against its free slots (dead workers' slots, raised limits).
 */
export function schedulerConfig(source: Env = process.env) {
  const config = loadConfig(
    {
      ...baseConfigShape,
      METRICS_PORT: env.port.default(9103),
      SCAN_INTERVAL_MS: env.positiveInt.default(1000),
      OUTBOX_GRACE_MS: env.nonNegativeInt.default(5000),
      EVENT_GRACE_MS: env.nonNegativeInt.default(10_000),
      REDISPATCH_AFTER_MS: env.nonNegativeInt.default(600_000),
      REAPER_INTERVAL_MS: env.positiveInt.default(5000),
      DIGEST_CRON: z.string().trim().min(1).default('0 0 8 * * *'),
      DIGEST_TIMEZONE: z.string().refine(isTimeZone, 'must be an IANA time zone').default('UTC'),
      RETENTION_DAYS: env.nonNegativeInt.default(14),
      PURGE_INTERVAL_MS: env.positiveInt.default(3_600_000),
      CALLBACK_SWEEP_MS: env.positiveInt.default(5000),
      WORKFLOW_SWEEP_MS: env.positiveInt.default(5000),
      FAIR_WINDOW: env.nonNegativeInt.default(200),
      FAIR_RELEASE_MS: env.positiveInt.default(100),
      LIMIT_SWEEP_MS: env.positiveInt.default(500),
    },
    source,
  );
  if (config.DIGEST_CRON !== 'off') {
    try {
      parseCron(config.DIGEST_CRON, config.DIGEST_TIMEZONE);
    } catch (err) {
      throw new Error(
        `invalid configuration:\n  DIGEST_CRON: ${(err as Error).message} (or 'off')`,
      );
    }
  }
  return config;
}

export type SchedulerConfig = ReturnType<typeof schedulerConfig>;

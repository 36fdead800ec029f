import { Counter, Histogram, type Registry } from '@conveyor/platform';

/** The scheduler's own series. */
export interface SchedulerMetrics {
  fires: Counter;
  misfires: Counter;
  overlapsSkipped: Counter;
  jobsPurged: Counter;
  jobsReaped: Counter;
  outboxPublished: Counter;
  redispatched: Counter;
  promotionLag: Histogram;
}

/** Registers the scheduler metrics on `registry`. */
export function schedulerMetrics(registry: Registry): SchedulerMetrics {
  const counter = (name: string, help: string) =>
    new Counter({ name, help, registers: [registry] });
  return {
    fires: counter(
      'conveyor_scheduler_fires_total',
      'Jobs created by schedule fires on this replica',
    ),
    misfires: counter(
      'conveyor_scheduler_misfires_total',
      'Schedule fire times dropped by the misfire policy',
    ),
    overlapsSkipped: counter(
      'conveyor_scheduler_overlaps_skipped_total',
      'Schedule fires skipped because the previous job was still active',
    ),
    jobsPurged: counter(
      'conveyor_scheduler_jobs_purged_total',
      'Finished jobs deleted by the retention purge',
    ),
    jobsReaped: counter(
      'conveyor_scheduler_jobs_reaped_total',
      'Running jobs whose expired lease was reaped',
    ),
    outboxPublished: counter(
      'conveyor_scheduler_outbox_published_total',
      'Queued jobs published by the outbox sweeper',
    ),
    redispatched: counter(
      'conveyor_scheduler_redispatched_total',
      'Queued jobs published again because their dispatch message was lost',
    ),
    promotionLag: new Histogram({
      name: 'conveyor_scheduler_promotion_lag_seconds',
      help: 'How late a scheduled job was queued: promotion time minus runAt',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}

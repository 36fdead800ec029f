import { Counter, Gauge, Histogram, type Registry } from '@conveyor/platform';
import type { LoopObserver } from './loop.js';

/** The scheduler's own series; also the observer of its timer loops. */
export interface SchedulerMetrics extends LoopObserver {
  fires: Counter;
  misfires: Counter;
  overlapsSkipped: Counter;
  jobsPurged: Counter;
  jobsReaped: Counter;
  outboxPublished: Counter;
  redispatched: Counter;
  finalEventsRepublished: Counter;
  promoted: Counter;
  promotionLag: Histogram;
  /** Held jobs let go: by the fair releaser (`fair`) or the limit sweep (`limit`). */
  limitReleased: Counter<'reason'>;
}

/** The scheduler's timer loops, pre-registered so each reads 0 before its first pass. */
const LOOPS = ['promoter', 'cron', 'outbox', 'reaper', 'purge', 'limits', 'fair'] as const;

/** Registers the scheduler metrics on `registry`. */
export function schedulerMetrics(registry: Registry): SchedulerMetrics {
  const counter = (name: string, help: string) =>
    new Counter({ name, help, registers: [registry] });
  const passes = new Counter({
    name: 'conveyor_scheduler_loop_passes_total',
    help: 'Passes of each scheduler loop, by loop and result (ok, error)',
    labelNames: ['loop', 'result'],
    registers: [registry],
  });
  const lastOk = new Gauge({
    name: 'conveyor_scheduler_loop_last_success_timestamp_seconds',
    help: 'Unix time of the last pass of each loop that completed without an error',
    labelNames: ['loop'],
    registers: [registry],
  });
  for (const loop of LOOPS) {
    passes.inc({ loop, result: 'ok' }, 0);
    passes.inc({ loop, result: 'error' }, 0);
  }
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
    finalEventsRepublished: counter(
      'conveyor_scheduler_final_events_republished_total',
      'Final lifecycle events published by the event sweep (their writer never had them confirmed)',
    ),
    redispatched: counter(
      'conveyor_scheduler_redispatched_total',
      'Queued jobs published again because their dispatch message was lost',
    ),
    promoted: counter(
      'conveyor_scheduler_promoted_total',
      'Scheduled jobs (delays, retries) queued by the promoter on this replica',
    ),
    promotionLag: new Histogram({
      name: 'conveyor_scheduler_promotion_lag_seconds',
      help: 'How late a scheduled job was queued: promotion time minus runAt',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    limitReleased: new Counter({
      name: 'conveyor_scheduler_held_released_total',
      help: 'Jobs held in the store released to their queue: by the fair releaser (reason fair) or because a concurrency limit had free slots (reason limit)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    pass(loop, ok) {
      passes.inc({ loop, result: ok ? 'ok' : 'error' });
      if (ok) lastOk.set({ loop }, Date.now() / 1000);
    },
  };
}

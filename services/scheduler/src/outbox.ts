import type { JobHousekeeping } from '@conveyor/jobs';
import type { Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';
import type { SchedulerMetrics } from './metrics.js';

/**
 * Every `intervalMs`: republishes queued jobs whose dispatch was never confirmed, (unless
 * `redispatchAfterMs` is 0) queued jobs whose confirmed dispatch is older than that while
 * their service's queues are empty — the message was lost — and the final lifecycle events
 * of jobs finished more than `eventGraceMs` ago whose event was never confirmed (the event
 * sweep: every final state reaches the events exchange, at least once).
 */
export function startOutboxSweeper(deps: {
  housekeeping: JobHousekeeping;
  metrics: SchedulerMetrics;
  log: Logger;
  graceMs: number;
  eventGraceMs: number;
  redispatchAfterMs: number;
  intervalMs: number;
}): TimerLoop {
  return startLoop(
    'outbox',
    deps.log,
    async () => {
      const n = await deps.housekeeping.publishUnpublished(deps.graceMs);
      deps.metrics.outboxPublished.inc(n);
      deps.metrics.finalEventsRepublished.inc(
        await deps.housekeeping.publishPendingFinalEvents(deps.eventGraceMs),
      );
      if (deps.redispatchAfterMs > 0)
        deps.metrics.redispatched.inc(
          await deps.housekeeping.redispatchStale(deps.redispatchAfterMs),
        );
      return deps.intervalMs;
    },
    deps.metrics,
  );
}

import type { JobHousekeeping } from '@conveyor/jobs';
import type { Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';
import type { SchedulerMetrics } from './metrics.js';

/** Republishes queued jobs whose dispatch was never confirmed, every `intervalMs`. */
export function startOutboxSweeper(deps: {
  housekeeping: JobHousekeeping;
  metrics: SchedulerMetrics;
  log: Logger;
  graceMs: number;
  intervalMs: number;
}): TimerLoop {
  return startLoop('outbox', deps.log, async () => {
    const n = await deps.housekeeping.sweepUnpublished(deps.graceMs);
    deps.metrics.outboxPublished.inc(n);
    return deps.intervalMs;
  });
}

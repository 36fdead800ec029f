import type { JobHousekeeping } from '@conveyor/jobs';
import type { Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';
import type { SchedulerMetrics } from './metrics.js';

/** Re-queues (or fails) running jobs whose lease expired, every `intervalMs`. */
export function startReaper(deps: {
  housekeeping: JobHousekeeping;
  metrics: SchedulerMetrics;
  log: Logger;
  intervalMs: number;
}): TimerLoop {
  return startLoop(
    'reaper',
    deps.log,
    async () => {
      const reaped = await deps.housekeeping.expireLeases();
      deps.metrics.jobsReaped.inc(reaped.length);
      return deps.intervalMs;
    },
    deps.metrics,
  );
}

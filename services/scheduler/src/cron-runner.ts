import type { ScheduleFirer, ScheduleRepository } from '@conveyor/jobs';
import type { Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';
import type { SchedulerMetrics } from './metrics.js';

/**
 * Fires due schedules, then sleeps until the earliest `nextFireAt`, capped at `maxSleepMs`
 * (default 1000) so schedules created or edited through the API are seen within a second.
 */
export function startCronRunner(deps: {
  firer: ScheduleFirer;
  schedules: ScheduleRepository;
  metrics: SchedulerMetrics;
  log: Logger;
  maxSleepMs?: number;
}): TimerLoop {
  const cap = deps.maxSleepMs ?? 1000;
  return startLoop(
    'cron',
    deps.log,
    async () => {
      const r = await deps.firer.fireDue(new Date());
      deps.metrics.fires.inc(r.fired);
      deps.metrics.misfires.inc(r.misfires);
      deps.metrics.overlapsSkipped.inc(r.overlapsSkipped);
      const next = await deps.schedules.earliestNextFire();
      if (!next) return cap;
      return Math.min(cap, next.getTime() - Date.now());
    },
    deps.metrics,
  );
}

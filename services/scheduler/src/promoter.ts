import type { JobHousekeeping, JobRepository } from '@conveyor/jobs';
import type { Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';
import type { SchedulerMetrics } from './metrics.js';

/** Pause after a pass that found due jobs but promoted none. */
const BUSY_BACKOFF_MS = 100;

/**
 * Promotes due scheduled jobs (delays, retries). After each pass it asks for the next due
 * `runAt` and sleeps until then, capped at `scanIntervalMs` — the cap is the safety scan that
 * catches jobs another process scheduled meanwhile.
 */
export function startPromoter(deps: {
  repo: JobRepository;
  housekeeping: JobHousekeeping;
  metrics: SchedulerMetrics;
  log: Logger;
  scanIntervalMs: number;
}): TimerLoop {
  // The next due time the previous pass learned; undefined = ask the store.
  let known: Date | null | undefined;
  return startLoop(
    'promoter',
    deps.log,
    async () => {
      // n.b. woken for a due time already known: promote at once; otherwise (the safety scan)
      // ask first, so an idle pass costs one query
      let next = known && known.getTime() <= Date.now() ? known : await deps.repo.queries.nextDue();
      known = undefined;
      let floor = 0;
      if (next && next.getTime() <= Date.now()) {
        const now = new Date();
        const promoted = await deps.housekeeping.promoteDue(now);
        deps.metrics.promoted.inc(promoted.length);
        for (const job of promoted)
          deps.metrics.promotionLag.observe(
            Math.max(0, now.getTime() - job.runAt.getTime()) / 1000,
          );
        // promoteDue returns once a batch came back short, so what is left is due later
        next = await deps.repo.queries.nextDue();
        // n.b. due jobs this pass could not take are being promoted by another replica: back
        // off a moment instead of re-reading the same rows
        floor = promoted.length > 0 ? 0 : BUSY_BACKOFF_MS;
      }
      known = next;
      if (!next) return deps.scanIntervalMs;
      return Math.min(deps.scanIntervalMs, Math.max(floor, next.getTime() - Date.now()));
    },
    deps.metrics,
  );
}

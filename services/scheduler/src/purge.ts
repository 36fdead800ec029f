import { deleteAttemptLogs, type FileStore, type JobRepository } from '@conveyor/jobs';
import type { Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';
import type { SchedulerMetrics } from './metrics.js';

/**
 * Deletes finished jobs that finished more than `retentionDays` before `now`, with the
 * artifacts they produced, their attempts' logs and the records other services keep per job
 * (mail deliveries).
 * Returns how many jobs were deleted.
 */
export async function purgeExpired(
  repo: JobRepository,
  artifacts: FileStore,
  retentionDays: number,
  now = new Date(),
  batch = 1000,
): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  let total = 0;
  for (;;) {
    const ids = await repo.queries.findFinishedBefore(before, batch);
    if (ids.length === 0) break;
    // n.b. jobs first: an artifact left by a crash here is unreachable through the API anyway.
    await repo.purge(ids, before);
    await artifacts.deleteByJobIds(ids.map((id) => id.toHexString()));
    await deleteAttemptLogs(
      repo.model.db,
      ids.map((id) => id.toHexString()),
    );
    total += ids.length;
    if (ids.length < batch) break;
  }
  return total;
}

/** Every `intervalMs`: runs {@link purgeExpired} (unless retention is 0 = keep forever). */
export function startPurge(deps: {
  repo: JobRepository;
  artifacts: FileStore;
  metrics: SchedulerMetrics;
  log: Logger;
  retentionDays: number;
  intervalMs: number;
}): TimerLoop {
  return startLoop(
    'purge',
    deps.log,
    async () => {
      if (deps.retentionDays > 0) {
        const n = await purgeExpired(deps.repo, deps.artifacts, deps.retentionDays);
        deps.metrics.jobsPurged.inc(n);
        if (n > 0)
          deps.log.info({ purged: n, retentionDays: deps.retentionDays }, 'purged finished jobs');
      }
      return deps.intervalMs;
    },
    deps.metrics,
  );
}

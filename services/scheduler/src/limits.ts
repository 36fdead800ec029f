import type { JobCore } from '@conveyor/jobs/dispatch';
import {
  FairReleaser,
  LimitGate,
  LimitSettings,
  LimitStore,
  registerLimitMetrics,
  sweepLimits,
} from '@conveyor/jobs/limits';
import type { Logger, Registry } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';
import type { SchedulerMetrics } from './metrics.js';

/**
 * Two loops over jobs held in the store: the fair releaser, which tops each worker group's
 * standard lane up to `fairWindow` ready messages from the held backlog, round robin across
 * owners (fast while a backlog waits, idle otherwise); and the limit sweep, which lets held
 * jobs go when their concurrency limit has free slots the workers did not hand on (a dead
 * worker's expired slot, a raised limit). Safe with any number of scheduler replicas.
 */
export async function startHeldJobLoops(deps: {
  core: JobCore;
  metrics: SchedulerMetrics;
  registry: Registry;
  log: Logger;
  fairWindow: number;
  fairReleaseMs: number;
  limitSweepMs: number;
}): Promise<TimerLoop[]> {
  const { core, log } = deps;
  const store = new LimitStore(core.repo.model.db);
  await store.ensureIndexes();
  const settings = new LimitSettings(store);
  const gate = new LimitGate(store, core.repo, core.dispatcher, log);
  registerLimitMetrics(deps.registry, { store, settings, catalogue: core.catalogue, log });
  const loops = [
    startLoop(
      'limits',
      log,
      async () => {
        const n = await sweepLimits(store, settings, core.catalogue, gate);
        deps.metrics.limitReleased.inc({ reason: 'limit' }, n);
        return deps.limitSweepMs;
      },
      deps.metrics,
    ),
  ];
  if (deps.fairWindow > 0) {
    const releaser = new FairReleaser(
      core.amqp,
      core.topology,
      store,
      core.repo,
      core.dispatcher,
      deps.fairWindow,
    );
    loops.push(
      startLoop(
        'fair',
        log,
        async () => {
          const weights = await settings.weights();
          const n = await releaser.pass((owner) => weights.get(owner) ?? 1);
          deps.metrics.limitReleased.inc({ reason: 'fair' }, n);
          // n.b. idle (no backlog) the pass is one small indexed read: a newcomer's held job is
          // seen within a quarter second
          return n > 0 || releaser.waiting > 0
            ? deps.fairReleaseMs
            : Math.max(deps.fairReleaseMs, 250);
        },
        deps.metrics,
      ),
    );
  }
  return loops;
}

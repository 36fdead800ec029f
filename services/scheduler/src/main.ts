import { builtinJobTypes, topology } from '@conveyor/contracts';
import {
  BUCKETS,
  declareBuiltinQueues,
  FileStore,
  registerJobStateMetrics,
  ScheduleRepository,
  SEED_REGISTRANT,
} from '@conveyor/jobs/store';
import { createJobCore, JobHousekeeping, ScheduleFirer } from '@conveyor/jobs/dispatch';
import { JobCallbacks } from '@conveyor/jobs/webhooks';
import { WorkflowEngine } from '@conveyor/jobs/workflows';
import { ConfigError, bootService, closeRuntime } from '@conveyor/platform';
import { startCallbacks } from './callbacks.js';
import { startWorkflows } from './workflows.js';
import { schedulerConfig } from './config.js';
import { startCronRunner } from './cron-runner.js';
import { startDigest } from './digest.js';
import type { TimerLoop } from './loop.js';
import { schedulerMetrics } from './metrics.js';
import { startOutboxSweeper } from './outbox.js';
import { startPromoter } from './promoter.js';
import { startPurge } from './purge.js';
import { startHeldJobLoops } from './limits.js';
import { startReaper } from './reaper.js';

/**
 * The scheduler: promotes delayed jobs, fires cron schedules, sweeps the outbox, reaps
 * expired leases, queues digests and purges old jobs. Any number of replicas may run; every
 * step is a conditional update or an idempotent insert, so no leader is needed.
 */
async function main(): Promise<void> {
  const config = schedulerConfig();
  // n.b. the built-in types' queues exist from the start, so their jobs wait for a worker
  const rt = await bootService('scheduler', config, {
    declare: (ch) => declareBuiltinQueues(ch, topology(config.CONVEYOR_PREFIX)),
  });
  const { log } = rt;
  const core = createJobCore(rt);
  const { repo: jobs, dispatcher } = core;
  const schedules = new ScheduleRepository(rt.mongo);
  await jobs.ensureIndexes();
  await schedules.ensureIndexes();
  await core.catalogue.seed(builtinJobTypes(), SEED_REGISTRANT);
  const housekeeping = new JobHousekeeping(jobs, dispatcher, log, core.catalogue);
  const metrics = schedulerMetrics(rt.registry);
  // n.b. fleet-wide gauges (queue depth and age, outbox, overdue schedules) come from the
  // store, registered here only: with N replicas dashboards take `max`, not `sum`
  registerJobStateMetrics(rt.registry, rt.mongo, log, { outboxGraceMs: config.OUTBOX_GRACE_MS });
  const firer = new ScheduleFirer(schedules, core, log, {
    toleranceMs: Math.max(5000, 2 * config.SCAN_INTERVAL_MS),
  });

  const loops: TimerLoop[] = [
    startPromoter({
      repo: jobs,
      housekeeping,
      metrics,
      log,
      scanIntervalMs: config.SCAN_INTERVAL_MS,
    }),
    startCronRunner({ firer, schedules, metrics, log, maxSleepMs: config.SCAN_INTERVAL_MS }),
    startOutboxSweeper({
      housekeeping,
      metrics,
      log,
      graceMs: config.OUTBOX_GRACE_MS,
      eventGraceMs: config.EVENT_GRACE_MS,
      redispatchAfterMs: config.REDISPATCH_AFTER_MS,
      intervalMs: config.REAPER_INTERVAL_MS,
    }),
    startReaper({ housekeeping, metrics, log, intervalMs: config.REAPER_INTERVAL_MS }),
  ];
  if (config.DIGEST_CRON !== 'off') {
    loops.push(
      startDigest({
        core,
        log,
        cron: config.DIGEST_CRON,
        timezone: config.DIGEST_TIMEZONE,
      }),
    );
  }
  loops.push(
    startPurge({
      repo: jobs,
      artifacts: new FileStore(rt.mongo, BUCKETS.artifacts),
      metrics,
      log,
      retentionDays: config.RETENTION_DAYS,
      intervalMs: config.PURGE_INTERVAL_MS,
    }),
  );
  loops.push(
    ...(await startHeldJobLoops({
      core,
      metrics,
      registry: rt.registry,
      log,
      fairWindow: config.FAIR_WINDOW,
      fairReleaseMs: config.FAIR_RELEASE_MS,
      limitSweepMs: config.LIMIT_SWEEP_MS,
    })),
  );
  const callbacks = new JobCallbacks(rt.mongo, core, log);
  await callbacks.ensureIndexes();
  loops.push(
    await startCallbacks({
      callbacks,
      amqp: rt.amqp,
      topology: rt.topology,
      log,
      sweepIntervalMs: config.CALLBACK_SWEEP_MS,
    }),
  );
  const workflows = new WorkflowEngine(core, log);
  await workflows.store.ensureIndexes();
  loops.push(
    await startWorkflows({
      engine: workflows,
      amqp: rt.amqp,
      topology: rt.topology,
      log,
      sweepIntervalMs: config.WORKFLOW_SWEEP_MS,
    }),
  );
  // n.b. timers stop first: a pass in flight finishes before channels and Mongo close.
  rt.lifecycle.onClose('stop scheduler loops', async () => {
    await Promise.all(loops.map((l) => l.stop()));
  });
  rt.lifecycle.onClose('mark dispatched jobs published', () => core.flush());
  closeRuntime(rt);
  rt.lifecycle.handleSignals();
  log.info({ loops: loops.length }, 'scheduler started');
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});

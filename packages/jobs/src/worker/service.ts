import { hostname } from 'node:os';
import type { z } from 'zod';
import {
  baseConfigShape,
  bootService,
  closeRuntime,
  env,
  type ReadinessCheck,
  type ServiceRuntime,
} from '@conveyor/platform';
import type { HandlerRegistration } from '../handler.js';
import { createJobCore, type JobCore } from '../core.js';
import type { JobRepository } from '../job.repository.js';
import { FileStore } from '../files.js';
import { Worker } from './worker.js';

/**
 * Variables of a job-consuming service, on top of the base ones:
 * - `CONCURRENCY` (8): jobs run at once; also each lane's prefetch.
 * - `LEASE_MS` (30000): a running job's lease; heartbeats renew it every third of it.
 * - `RETRY_BASE_MS` (1000) / `RETRY_MAX_MS` (600000): full-jitter backoff between attempts.
 * - `AMQP_CONSUMER_TIMEOUT_MS` (1800000): the broker's consumer timeout (jobs whose timeout
 *   is longer than 80% of it are acked after the claim and guarded by their lease).
 * - `RUNNING_EVENT_DELAY_MS` (100): an attempt publishes `job.running.<type>` this long after
 *   its claim, and not at all if it has ended by then (0: at the claim, for every attempt).
 */
export const workerConfigShape = {
  ...baseConfigShape,
  CONCURRENCY: env.positiveInt.max(1000).default(8),
  LEASE_MS: env.positiveInt.min(1000).default(30_000),
  RETRY_BASE_MS: env.nonNegativeInt.default(1000),
  RETRY_MAX_MS: env.positiveInt.default(600_000),
  AMQP_CONSUMER_TIMEOUT_MS: env.positiveInt.default(1_800_000),
  RUNNING_EVENT_DELAY_MS: env.nonNegativeInt.max(60_000).default(100),
};
type WorkerConfigShape = typeof workerConfigShape;
export type WorkerConfig = Readonly<z.infer<z.ZodObject<WorkerConfigShape>>> & {
  METRICS_PORT: number;
};

/** A running worker service. */
export interface WorkerServiceHandle {
  runtime: ServiceRuntime;
  worker: Worker;
  repo: JobRepository;
  /** The job core the worker records outcomes and submits child jobs with. */
  core: JobCore;
  /** Graceful stop: stop intake, drain with the grace period, close everything. */
  close(): Promise<boolean>;
}

/**
 * Boots a worker service: infrastructure, job indexes, handlers, worker (which registers its
 * types in the catalogue and declares its queues); registers shutdown in order (stop intake
 * -> drain -> handler resources -> AMQP -> MongoDB -> ops server).
 */
export async function startWorkerService(opts: {
  /** The worker group: its queue name unless a type names another. */
  name: string;
  config: WorkerConfig;
  handlers: (
    rt: ServiceRuntime,
    core: JobCore,
  ) => Promise<HandlerRegistration[]> | HandlerRegistration[];
  extraChecks?: ReadinessCheck[];
  /** Closes what `handlers` opened (after draining, before AMQP and MongoDB close). */
  closeHandlers?: () => Promise<void>;
}): Promise<WorkerServiceHandle> {
  const { config } = opts;
  const rt = await bootService(opts.name, config, { extraChecks: opts.extraChecks ?? [] });
  // n.b. the outcomes' final events stay owed in event ledgers, not in a mark per job
  const core = createJobCore(rt, {
    eventLedger: { by: `${opts.name}@${hostname()}:${process.pid}` },
  });
  const { repo, events } = core;
  await repo.ensureIndexes();
  const { catalogue } = core;
  const worker = new Worker({
    name: opts.name,
    handlers: await opts.handlers(rt, core),
    catalogue,
    services: {
      uploads: new FileStore(rt.mongo, 'uploads'),
      artifacts: new FileStore(rt.mongo, 'artifacts'),
      core,
      catalogue,
    },
    amqp: rt.amqp,
    topology: rt.topology,
    repo,
    events,
    log: rt.log,
    registry: rt.registry,
    concurrency: config.CONCURRENCY,
    leaseMs: config.LEASE_MS,
    backoff: { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS },
    consumerTimeoutMs: config.AMQP_CONSUMER_TIMEOUT_MS,
    runningEventDelayMs: config.RUNNING_EVENT_DELAY_MS,
  });
  await worker.start();
  rt.lifecycle.onClose('stop intake', () => worker.stopIntake());
  rt.lifecycle.onClose('drain in-flight jobs', async () => {
    const clean = await worker.drain(config.SHUTDOWN_GRACE_MS);
    if (!clean) rt.log.warn('grace period over: unfinished jobs were released back to the queue');
  });
  rt.lifecycle.onClose('publish events in flight', () => core.flush());
  if (opts.closeHandlers) rt.lifecycle.onClose('close handler resources', opts.closeHandlers);
  closeRuntime(rt);
  return { runtime: rt, worker, repo, core, close: () => rt.lifecycle.close() };
}

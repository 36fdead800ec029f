/**
 * `@conveyor/sdk/worker` — run job types of your own, with every guarantee the built-in
 * workers have: leases and heartbeats, retries with backoff, timeouts, cancel, redelivery
 * after a crash, poison containment, `/metrics`, `/healthz`, `/readyz`, graceful shutdown.
 *
 * ```ts
 * import { createWorker, handle } from '@conveyor/sdk/worker';
 * import { thumbnail } from './job-types.js';
 *
 * const worker = await createWorker({
 *   name: 'acme',
 *   handlers: [
 *     handle(thumbnail, async (payload, ctx) => {
 *       ctx.progress(50, 'resizing');
 *       return { artifactId: '…' };
 *     }),
 *   ],
 * });
 * worker.handleSignals();
 * ```
 * @packageDocumentation
 */
import type { Connection } from 'mongoose';
import {
  defineHandler,
  startWorkerService,
  workerConfigShape,
  type HandlerRegistration,
  type JobContext as InternalContext,
  type RunningJob,
} from '@conveyor/jobs/worker';
import type { JobFiles, SubmitChild } from '@conveyor/jobs/worker';
import {
  ConfigError,
  env as envVar,
  loadConfig,
  type Env,
  type Logger,
  type Registry,
} from '@conveyor/platform';
import type { JobType, PayloadOf, ResultOf } from './index.js';

export type {
  FileRef,
  OpenedFile,
  JobFiles,
  ChildJobOptions,
  SubmitChild,
} from '@conveyor/jobs/worker';
export type { Logger, Registry };
export { ConfigError };

/** The job as its handler sees it. */
export type JobInfo = Omit<RunningJob<unknown>, 'payload'>;

/** What a handler gets besides its payload, for one attempt. */
export interface JobContext {
  /** The job: id, type, attempt (from 1), maxAttempts, owner, priority, correlation id. */
  readonly job: JobInfo;
  /**
   * Aborted on cancel, on timeout, when the lease is lost and at shutdown past the grace
   * period: pass it to your I/O. A handler that ignores it is abandoned when it fires.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress, 0–100, with an optional message (shown live on SSE and the
   * dashboard). Cheap to call often: writes are throttled, the last one always lands.
   */
  progress(percent: number, message?: string): void;
  /** A logger whose lines carry the job id, type, attempt and trace id. */
  readonly log: Logger;
  /** The owner's uploads and artifacts, as streams; `write` stores an artifact of this job. */
  readonly files: JobFiles;
  /**
   * Submits a child job owned by the same owner, in this job's correlation and trace.
   * Idempotent per attempt order by default (see `ChildJobOptions.idempotencyKey`).
   */
  readonly submit: SubmitChild;
}

/** A handler bound to its job type: build one with {@link handle}. */
export type Handler<T extends JobType = JobType> = HandlerRegistration<T>;

/**
 * Binds a handler to a job type. The handler gets the parsed payload and a
 * {@link JobContext}; what it returns is the job's result. Throw `PermanentJobError` for a
 * failure that will not change (no retry), `RetryableJobError` (optionally with
 * `retryAfterMs`) or any other error to retry with backoff while attempts are left.
 */
export function handle<T extends JobType>(
  type: T,
  fn: (payload: PayloadOf<T>, ctx: JobContext) => Promise<ResultOf<T>> | ResultOf<T>,
): Handler<T> {
  return defineHandler(type, async (ctx: InternalContext<PayloadOf<T>>) => {
    const { payload, ...job } = ctx.job;
    const context: JobContext = {
      job,
      signal: ctx.signal,
      progress: (percent, message) => ctx.progress(percent, message),
      log: ctx.log,
      files: ctx.files,
      submit: ctx.submit,
    };
    return fn(payload, context);
  });
}

/** What a handler factory gets: the worker's own connections and metrics registry. */
export interface WorkerResources {
  /** The worker's logger (pino), named after it. */
  readonly log: Logger;
  /** The registry `/metrics` serves: register metrics of your own here (prom-client). */
  readonly registry: Registry;
  /** The worker's MongoDB connection (mongoose), for collections of your own. */
  readonly mongo: Connection;
}

/** Options of {@link createWorker}. */
export interface WorkerOptions {
  /**
   * The worker group: lower-case letters, digits and `-`. Replicas with the same name share
   * its queues (`<prefix>.<name>`, `<prefix>.<name>.priority`); it is the queue of every type
   * that names none.
   */
  readonly name: string;
  /**
   * The handlers, one per job type; the worker's queues are bound to exactly their types.
   * A function gets the worker's connections first (see {@link WorkerResources}).
   */
  readonly handlers:
    | readonly Handler[]
    | ((resources: WorkerResources) => readonly Handler[] | Promise<readonly Handler[]>);
  /**
   * The environment to read settings from: `RABBITMQ_URL` and `MONGO_URL` (required),
   * `CONVEYOR_PREFIX` (`conveyor`), `CONCURRENCY` (8), `LEASE_MS` (30000), `RETRY_BASE_MS`
   * (1000), `RETRY_MAX_MS` (600000), `METRICS_PORT`, `METRICS_HOST` (`0.0.0.0`),
   * `SHUTDOWN_GRACE_MS` (30000), `LOG_LEVEL` (`info`), `AMQP_CONSUMER_TIMEOUT_MS` (1800000),
   * `RUNNING_EVENT_DELAY_MS` (100; the `job.running` event waits this long after the claim
   * and is skipped when the handler ended sooner).
   * @default process.env
   */
  readonly env?: Env;
  /** Jobs run at once; overrides `CONCURRENCY`. @default 8 */
  readonly concurrency?: number;
  /**
   * Port of `/metrics`, `/healthz`, `/readyz` when `METRICS_PORT` is unset; 0 picks a free
   * port. @default 9464
   */
  readonly metricsPort?: number;
  /** Extra readiness checks (e.g. an SMTP server): `/readyz` fails while one answers false. */
  readonly readinessChecks?: readonly { name: string; check: () => Promise<boolean> }[];
  /** Closes what your handlers opened; runs after in-flight jobs drained. @default none */
  readonly onClose?: () => Promise<void>;
}

/** A running worker. */
export interface ConveyorWorker {
  /** The worker group. */
  readonly name: string;
  /** This instance's id (host, pid, random suffix), as in heartbeats and job records. */
  readonly id: string;
  /** The port `/metrics`, `/healthz` and `/readyz` listen on. */
  readonly metricsPort: number;
  /** Jobs running now. */
  readonly activeJobs: number;
  /**
   * Stops gracefully: no new deliveries, running jobs finish within `SHUTDOWN_GRACE_MS`
   * (the rest are released to the queue without spending an attempt), then connections
   * close. Idempotent. Resolves false when the grace period ran out.
   */
  close(): Promise<boolean>;
  /** Closes on SIGTERM / SIGINT and exits (a second signal exits at once). */
  handleSignals(): void;
}

/**
 * Starts a worker: connects to MongoDB and RabbitMQ (throws a `ConfigError` naming each bad
 * variable), registers its job types in the catalogue (so the API accepts them from now on),
 * declares and binds its queues, and starts consuming.
 */
export async function createWorker(options: WorkerOptions): Promise<ConveyorWorker> {
  const source = options.env ?? process.env;
  const config = loadConfig(
    { ...workerConfigShape, METRICS_PORT: envVar.port.default(options.metricsPort ?? 9464) },
    source,
  );
  const effective =
    options.concurrency !== undefined
      ? Object.freeze({ ...config, CONCURRENCY: options.concurrency })
      : config;
  const handlers = options.handlers;
  const svc = await startWorkerService({
    name: options.name,
    config: effective,
    extraChecks: [...(options.readinessChecks ?? [])],
    handlers: async (rt) => [
      ...(typeof handlers === 'function'
        ? await handlers({ log: rt.log, registry: rt.registry, mongo: rt.mongo })
        : handlers),
    ],
    ...(options.onClose ? { closeHandlers: options.onClose } : {}),
  });
  return {
    name: options.name,
    id: svc.worker.id,
    metricsPort: svc.runtime.ops.port,
    get activeJobs() {
      return svc.worker.activeJobs;
    },
    close: () => svc.close(),
    handleSignals: () => svc.runtime.lifecycle.handleSignals(),
  };
}

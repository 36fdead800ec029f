import { createRequire } from 'node:module';
import type { z } from 'zod';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  envelope,
  jobCancel,
  jobDispatch,
  LANES,
  priorityRank,
  routingKeys,
  workerHeartbeat,
  type Envelope,
  type Topology,
  catalogueEntryOf,
  QUEUE_NAME,
  type CatalogueEntry,
} from '@conveyor/contracts';
import {
  consumeEnvelopes,
  declareWorkQueues,
  publishEnvelope,
  type AmqpClient,
  type Consumer,
  type Delivery,
  type Logger,
  type Registry,
  SpanKind,
  startSpan,
  traceIdOf,
} from '@conveyor/platform';
import type { HandlerRegistration } from '../handler.js';
import type { JobRepository } from '../job.repository.js';
import type { JobEvents } from '../events.js';
import type { BackoffOptions } from '../backoff.js';
import type { JobTypeCatalogue } from '../catalogue/catalogue.js';
import type { ContextServices } from './context.js';
import { TransitionBatcher } from './transition-batcher.js';
import { WorkerMetrics } from './metrics.js';
import { runAttempt } from './attempt.js';
import { jobFromSnapshot } from '../dispatch-snapshot.js';
import { PriorityBuffer } from './priority-buffer.js';
import { AttemptAbort, settlementOf, type AttemptOutcome } from './outcome.js';
import { LimitStore } from '../limits/limit-store.js';
import { LimitGate, LimitSettings } from '../limits/limit-gate.js';

/** A work-queue message as the worker receives it (its copy of the job included, if any). */
type DispatchEnvelope = Envelope<z.infer<typeof jobDispatch.data>>;

/** The version heart-beaten by workers: `@conveyor/jobs`'s, i.e. the release they run. */
const WORKER_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;

export interface WorkerOptions {
  /**
   * The worker group's name: the queue of every handler's type that names none, the
   * `service` of its heartbeats and the registrant of its catalogue entries.
   */
  name: string;
  handlers: HandlerRegistration[];
  /** Where the worker registers its types when it starts and marks them alive. */
  catalogue: JobTypeCatalogue;
  /** What handlers' `ctx.files` and `ctx.submit` act on. */
  services: ContextServices;
  amqp: AmqpClient;
  topology: Topology;
  repo: JobRepository;
  events: JobEvents;
  log: Logger;
  registry: Registry;
  /** Jobs run at once (default 8); also each lane's prefetch. */
  concurrency?: number;
  /** Lease length in ms (default 30000); a lease not renewed for this long is reaped. */
  leaseMs?: number;
  /** Retry backoff (full jitter, default base 1 s, cap 10 min). */
  backoff?: BackoffOptions;
  /**
   * The broker's consumer timeout in ms (default 1800000, RabbitMQ's). A delivery held past
   * it closes the channel, so jobs whose timeout exceeds 80% of it are acked right after the
   * claim and guarded by their lease alone.
   */
  consumerTimeoutMs?: number;
  /** Minimum ms between progress writes of one job (default 500). */
  progressIntervalMs?: number;
  /**
   * How long after its claim an attempt publishes its `job.running.<type>` event, in ms
   * (default 100; 0: at the claim). An attempt that has ended by then publishes none: its
   * final event (`succeeded`, `failed`, ...) follows within the same moment and says more.
   * The job's document records the start either way (`startedAt`, its history).
   */
  runningEventDelayMs?: number;
}

interface Pending {
  start: () => void;
  /** Gives the delivery back to the broker without running it (shutdown). */
  drop: () => void;
}

/**
 * The worker runtime every job-consuming service runs (the SDK's `createWorker`, the mailer
 * and the processor alike): consumes both lanes of its group's queues, runs at most `concurrency` jobs (priority lane and higher priorities
 * first), and records each outcome before acking. Cancel broadcasts abort running handlers.
 */
export class Worker {
  readonly id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly concurrency: number;
  private readonly handlers = new Map<string, HandlerRegistration>();
  private readonly consumers: Consumer[] = [];
  private readonly running = new Map<string, AttemptAbort>();
  private readonly queue = new PriorityBuffer<Pending>();
  private active = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly shutdown = new AbortController();
  private readonly metrics: WorkerMetrics;
  private readonly startedAt = new Date().toISOString();

  private readonly ackEarlyAboveMs: number;
  /** The catalogue entries of the handlers' types (queue resolved), by name. */
  readonly entries = new Map<string, CatalogueEntry>();
  /** Queue (worker group) -> the types bound to it here. */
  readonly queues = new Map<string, string[]>();
  private readonly writes: TransitionBatcher;
  private readonly limits: { settings: LimitSettings; gate: LimitGate };

  constructor(private readonly o: WorkerOptions) {
    this.concurrency = o.concurrency ?? 8;
    this.ackEarlyAboveMs = (o.consumerTimeoutMs ?? 1_800_000) * 0.8;
    if (!QUEUE_NAME.test(o.name))
      throw new Error(
        `worker name ${JSON.stringify(o.name)} must be lower-case letters, digits and -, starting with a letter`,
      );
    if (o.handlers.length === 0) throw new Error(`worker ${o.name} has no handlers`);
    for (const h of o.handlers) {
      if (this.handlers.has(h.type.name))
        throw new Error(`worker ${o.name} has two handlers for ${h.type.name}`);
      this.handlers.set(h.type.name, h);
      const entry = catalogueEntryOf(h.type, o.name);
      this.entries.set(entry.name, entry);
      this.queues.set(entry.queue, [...(this.queues.get(entry.queue) ?? []), entry.name]);
    }
    this.writes = new TransitionBatcher(o.repo);
    const limitStore = new LimitStore(o.repo.model.db);
    this.limits = {
      settings: new LimitSettings(limitStore),
      gate: new LimitGate(limitStore, o.repo, o.services.core.dispatcher, o.log),
    };
    this.metrics = new WorkerMetrics(o.registry, () => this.active, this.concurrency);
    this.metrics.forTypes([...this.handlers.keys()]);
  }

  /** Jobs running now. */
  get activeJobs(): number {
    return this.active;
  }

  /**
   * Registers the handlers' types in the catalogue, then starts consuming the control
   * broadcasts and both lanes of each of its queues (declared and bound to exactly its types
   * on every attach).
   */
  async start(): Promise<void> {
    const { amqp, topology: topo, log } = this.o;
    await this.o.catalogue.register([...this.entries.values()], {
      worker: this.o.name,
      workerId: this.id,
      version: WORKER_VERSION,
    });
    this.consumers.push(
      await consumeEnvelopes(
        amqp,
        jobCancel,
        {
          prefetch: 50,
          tag: `${this.o.name}-control`,
          declare: async (ch) => {
            const q = await ch.assertQueue('', {
              exclusive: true,
              autoDelete: true,
              durable: false,
            });
            await ch.bindQueue(q.queue, topo.exchanges.control, '');
            return q.queue;
          },
        },
        (env, delivery) => {
          delivery.ack();
          const ctl = this.running.get(env.data.jobId);
          if (ctl) {
            log.info({ jobId: env.data.jobId }, 'cancel requested; aborting handler');
            ctl.abort('cancel');
          }
        },
        { log },
      ),
    );
    for (const [group, types] of this.queues) {
      for (const lane of LANES) {
        this.consumers.push(
          await consumeEnvelopes(
            amqp,
            jobDispatch,
            {
              prefetch: this.concurrency,
              tag: `${group}-${lane}`,
              declare: async (ch) => {
                await declareWorkQueues(ch, topo, group, types);
                return topo.queues.work(group, lane);
              },
            },
            (env, delivery) => this.enqueue(env, delivery),
            // n.b. trusted: only the API and the scheduler publish dispatches (checked by hand)
            { log, onInvalid: (reason) => this.metrics.invalid.inc({ reason }), trusted: true },
          ),
        );
      }
    }
    this.heartbeatTimer = setInterval(() => void this.publishHeartbeat(), 5000);
    this.heartbeatTimer.unref();
    void this.publishHeartbeat();
    log.info(
      {
        worker: this.o.name,
        queues: Object.fromEntries(this.queues),
        concurrency: this.concurrency,
        workerId: this.id,
        types: [...this.handlers.keys()],
      },
      'worker started',
    );
  }

  /** Holds a delivery until a slot is free; higher priorities start first. */
  private enqueue(env: DispatchEnvelope, delivery: Delivery): Promise<void> {
    return new Promise<void>((resolve) => {
      this.queue.push(priorityRank(env.data.priority), {
        start: () => {
          this.active++;
          this.process(env, delivery)
            .then(({ outcome, acked }) => this.settle(env.data.jobId, delivery, outcome, acked))
            .finally(() => {
              this.active--;
              resolve();
              this.pump();
            });
        },
        drop: () => {
          // n.b. never started: nothing was recorded, the broker redelivers it
          void this.settle(env.data.jobId, delivery, { kind: 'released' }, false).finally(resolve);
        },
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.concurrency && !this.shutdown.signal.aborted) {
      const next = this.queue.take();
      if (!next) return;
      next.start();
    }
  }

  /** Runs one delivery to its outcome; never throws (a store failure is an outcome too). */
  private async process(
    env: DispatchEnvelope,
    delivery: Delivery,
  ): Promise<{ outcome: AttemptOutcome; acked: boolean }> {
    const { jobId, type, attempt } = env.data;
    const handler = this.handlers.get(type);
    const traceId = traceIdOf(env.traceparent);
    if (!handler) {
      this.o.log.error(
        { jobId, traceId, type },
        'no handler for this job type here; giving the delivery back for a replica that has one',
      );
      return { outcome: { kind: 'no-handler' }, acked: false };
    }
    const abort = new AttemptAbort();
    let acked = false;
    // n.b. registered before the claim so a cancel broadcast racing the claim is not missed
    this.running.set(jobId, abort);
    const started = process.hrtime.bigint();
    const span = startSpan(`process ${type}`, {
      parent: env.traceparent,
      kind: SpanKind.CONSUMER,
      attributes: {
        'conveyor.job_id': jobId,
        'conveyor.attempt': attempt,
        'conveyor.worker_id': this.id,
      },
    });
    let outcome: AttemptOutcome;
    try {
      outcome = await runAttempt({
        jobId,
        attempt,
        handler,
        queue: this.entries.get(type)?.queue ?? this.o.name,
        abort,
        workerId: this.id,
        repo: this.o.repo,
        events: this.o.events,
        log: this.o.log,
        leaseMs: this.o.leaseMs ?? 30_000,
        backoff: { ...this.o.backoff, ...handler.type.defaults.backoff },
        progressIntervalMs: this.o.progressIntervalMs ?? 500,
        runningEventDelayMs: this.o.runningEventDelayMs ?? 100,
        correlationId: env.correlationId,
        traceparent: span.traceparent,
        services: this.o.services,
        writes: this.writes,
        snapshot: jobFromSnapshot(env.data),
        limits: this.limits,
        onClaimed: (job) => {
          this.metrics.started(job);
          // Long jobs are acked at the claim: held past the broker's consumer timeout, the
          // delivery would close the channel. Their lease guards them from here on.
          if (job.timeoutMs <= this.ackEarlyAboveMs) return false;
          delivery.ack();
          acked = true;
          return true;
        },
      });
    } catch (error) {
      outcome = { kind: 'store-error', error };
    } finally {
      this.running.delete(jobId);
    }
    span.span.setAttribute('conveyor.outcome', outcome.kind);
    span.end(outcome.kind === 'store-error' ? outcome.error : null);
    if (outcome.kind === 'limited') this.metrics.limited.inc({ type, reason: outcome.reason });
    else if (outcome.kind !== 'rejected' && outcome.kind !== 'store-error') {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.finished(type, outcome, seconds);
    }
    return { outcome, acked };
  }

  /** The one place a delivery is settled, from the attempt's outcome. */
  private async settle(
    jobId: string,
    delivery: Delivery,
    outcome: AttemptOutcome,
    acked: boolean,
  ): Promise<void> {
    const type = delivery.message.fields.routingKey;
    if (outcome.kind === 'rejected') this.metrics.claimRejected.inc({ type });
    if (outcome.kind === 'no-handler') this.metrics.invalid.inc({ reason: 'no-handler' });
    if (acked) return; // n.b. never settle a tag twice: the channel would close
    const count = Number(delivery.message.properties.headers?.['x-delivery-count'] ?? 0);
    const s = settlementOf(outcome, count);
    if (s.action === 'ack') delivery.ack();
    else if (s.action === 'dead-letter') delivery.nack(false);
    else {
      if (outcome.kind === 'store-error')
        this.o.log.error(
          { err: outcome.error, jobId, pauseMs: s.pauseMs },
          'job processing failed; requeueing the message after a pause',
        );
      // (a store outage, if the message is dead-lettered anyway the scheduler republishes it)
      if (s.pauseMs > 0) await sleepUnlessAborted(s.pauseMs, this.shutdown.signal);
      delivery.nack(true);
    }
  }

  private async publishHeartbeat(): Promise<void> {
    const env = envelope(workerHeartbeat, {
      workerId: this.id,
      service: this.o.name,
      hostname: hostname(),
      pid: process.pid,
      concurrency: this.concurrency,
      active: this.active,
      jobTypes: [...this.handlers.keys()],
      startedAt: this.startedAt,
      version: WORKER_VERSION,
    });
    await publishEnvelope(
      this.o.amqp,
      workerHeartbeat,
      this.o.topology.exchanges.events,
      routingKeys.heartbeat(this.o.name),
      env,
      {
        mandatory: false,
      },
    ).then(
      () => this.metrics.heartbeats.inc(),
      () => undefined, // n.b. a missed heartbeat only delays the /v1/workers view
    );
    await this.o.catalogue
      .touch(new Map([...this.entries.values()].map((e) => [e.name, e.schemaHash])))
      .catch((err: unknown) =>
        this.o.log.debug({ err: (err as Error).message }, 'catalogue heartbeat not stored'),
      );
  }

  /** Stops taking deliveries; running and buffered jobs go on. */
  async stopIntake(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await Promise.all(this.consumers.map((c) => c.cancel()));
  }

  /**
   * Waits up to `graceMs` for running jobs to finish. Jobs still running then are aborted
   * and released back to the queue without spending their attempt; jobs still buffered are
   * requeued. Resolves true when everything finished within the grace period.
   */
  async drain(graceMs: number): Promise<boolean> {
    const deadline = Date.now() + graceMs;
    while (this.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const clean = this.active === 0;
    this.shutdown.abort('shutdown');
    for (const ctl of this.running.values()) ctl.abort('shutdown');
    // Buffered, never started: let the broker redeliver them.
    for (const pending of this.queue.drain()) pending.drop();
    await Promise.all(this.consumers.map((c) => c.drain(5000)));
    return clean;
  }
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

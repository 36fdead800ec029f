import {
  checkEnvelope,
  jobLifecycleEvent,
  jobProgressEvent,
  workerHeartbeat,
  workflowLifecycleEvent,
  type Envelope,
  type JobStatus,
  type Topology,
} from '@conveyor/contracts';
import type { AmqpClient, Consumer, Logger } from '@conveyor/platform';
import type { z } from 'zod';
import { WorkerDirectory } from '../ops/workers.js';
import { AttemptTracker } from './attempts.js';

export type LifecycleEnvelope = Envelope<z.infer<typeof jobLifecycleEvent.data>>;
export type ProgressEnvelope = Envelope<z.infer<typeof jobProgressEvent.data>>;
export type WorkflowEnvelope = Envelope<z.infer<typeof workflowLifecycleEvent.data>>;
/** An event delivered to open streams (workflow events only reach streams not tied to one job). */
export type JobStreamEvent =
  | { kind: 'lifecycle'; env: LifecycleEnvelope }
  | { kind: 'progress'; env: ProgressEnvelope }
  | { kind: 'workflow'; env: WorkflowEnvelope };

/** Which events a subscriber wants: one owner's (undefined = everyone's, for admins), optionally one job. */
export interface StreamFilter {
  owner?: string | undefined;
  jobId?: string | undefined;
  /**
   * Only lifecycle events of jobs entering one of these statuses: no progress and no workflow
   * events. The hub then binds only `job.<status>.#` for them, so events nobody asked for are
   * not routed to this API. @default every event
   */
  statuses?: ReadonlySet<JobStatus> | undefined;
}

interface Subscriber {
  filter: StreamFilter;
  send: (event: JobStreamEvent) => void;
  close: () => void;
}

/** Routing keys of a stream that takes every event. */
const ALL_KEYS = ['job.#', 'workflow.#'] as const;

/** The routing keys the hub must take for a stream with `filter`. */
function bindingsOf(filter: StreamFilter): string[] {
  return filter.statuses ? [...filter.statuses].map((s) => `job.${s}.#`) : [...ALL_KEYS];
}

/** Routing key the hub always takes: the worker directory lives on heartbeats. */
const HEARTBEAT_KEY = 'worker.heartbeat.#';

/**
 * After a stream closes, the bindings only it needed stay this long before they are removed (a
 * dashboard reloading does not unbind and rebind).
 */
export const HUB_UNBIND_AFTER_MS = 30_000;
/** A stream waits at most this long for the bindings before it reads the current state. */
const BIND_WAIT_MS = 5_000;

export interface EventHubOptions {
  /** See {@link HUB_UNBIND_AFTER_MS}. @default HUB_UNBIND_AFTER_MS */
  unbindAfterMs?: number;
}

/**
 * The API process's single listener on the events exchange: one exclusive, server-named queue,
 * fanned out in memory to open SSE streams (by owner / job) and to the worker directory. It is
 * always bound to `worker.heartbeat.#`; job and workflow events are bound only while a stream
 * wants them — `job.#` and `workflow.#` for a stream of everything, `job.<status>.#` for one that
 * takes some statuses only — so with nobody watching the broker routes a job's events to no API
 * and the API parses none. A new stream waits for the bindings ({@link EventHub.ready}) before
 * it reads the current state. Events are live updates only — a stream always starts from the
 * job document, so a missed event costs freshness, not correctness.
 */
export class EventHub {
  readonly workers: WorkerDirectory;
  private readonly subscribers = new Set<Subscriber>();
  private consumer: Consumer | null = null;
  /** Messages that were not JSON or failed their schema (dropped, not dead-lettered: they are events). */
  invalid = 0;
  /** Events of an attempt older than one already seen, dropped. */
  stale = 0;
  /** Job and workflow events received (with no stream open, there should be none). */
  received = 0;
  private readonly attempts = new AttemptTracker();
  /** The stream bindings that should be in place; `bound`, those that are. */
  private want = new Set<string>();
  private bound = new Set<string>();
  private syncing: Promise<void> = Promise.resolve();
  private unbindTimer: NodeJS.Timeout | null = null;
  private readonly unbindAfterMs: number;

  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly log: Logger,
    workers: WorkerDirectory = new WorkerDirectory(),
    options: EventHubOptions = {},
  ) {
    this.workers = workers;
    this.unbindAfterMs = options.unbindAfterMs ?? HUB_UNBIND_AFTER_MS;
  }

  /** Declares the queue and starts consuming; resolves once bound. */
  async start(): Promise<void> {
    const exchange = this.topo.exchanges.events;
    this.consumer = await this.amqp.consume(
      {
        prefetch: 200,
        tag: 'api-events',
        // n.b. live updates only (see above): acking each on arrival cost an ack per event
        noAck: true,
        declare: async (ch) => {
          const { queue } = await ch.assertQueue('', {
            exclusive: true,
            autoDelete: true,
            durable: false,
          });
          await ch.bindQueue(queue, exchange, HEARTBEAT_KEY);
          // n.b. a fresh queue per attachment: bind what streams want now
          const want = [...this.want];
          for (const key of want) await ch.bindQueue(queue, exchange, key);
          this.bound = new Set(want);
          return queue;
        },
      },
      (delivery) => {
        delivery.ack();
        this.handle(delivery.message.content);
      },
    );
  }

  private handle(content: Buffer): void {
    let body: unknown;
    try {
      body = JSON.parse(content.toString('utf8'));
    } catch {
      this.invalid++;
      return;
    }
    const type = (body as { type?: unknown } | null)?.type;
    if (type !== workerHeartbeat.type) this.received++;
    // n.b. job events are checked by hand (checkEnvelope): the fields this hub reads and forwards
    if (type === jobLifecycleEvent.type) {
      const checked = checkEnvelope(jobLifecycleEvent, body);
      if (checked.ok) return this.publish({ kind: 'lifecycle', env: checked.env });
    } else if (type === jobProgressEvent.type) {
      const checked = checkEnvelope(jobProgressEvent, body);
      if (checked.ok) return this.publish({ kind: 'progress', env: checked.env });
    } else if (type === workflowLifecycleEvent.type) {
      const parsed = workflowLifecycleEvent.envelope.safeParse(body);
      if (parsed.success) return this.publishWorkflow({ kind: 'workflow', env: parsed.data });
    } else if (type === workerHeartbeat.type) {
      const parsed = workerHeartbeat.envelope.safeParse(body);
      if (parsed.success) return this.workers.record(parsed.data);
    }
    this.invalid++;
    this.log.debug({ type }, 'dropping an invalid event');
  }

  private publishWorkflow(event: Extract<JobStreamEvent, { kind: 'workflow' }>): void {
    for (const s of this.subscribers) {
      if (s.filter.jobId !== undefined || s.filter.statuses) continue;
      if (s.filter.owner !== undefined && s.filter.owner !== event.env.data.owner) continue;
      s.send(event);
    }
  }

  private publish(event: Exclude<JobStreamEvent, { kind: 'workflow' }>): void {
    const { owner, jobId, attempt } = event.env.data;
    if (!this.attempts.observe(jobId, attempt)) {
      // n.b. a worker that lost its lease reported progress after the next attempt started
      this.stale++;
      return;
    }
    const status = event.kind === 'lifecycle' ? event.env.data.status : null;
    for (const s of this.subscribers) {
      if (s.filter.owner !== undefined && s.filter.owner !== owner) continue;
      if (s.filter.jobId !== undefined && s.filter.jobId !== jobId) continue;
      if (s.filter.statuses && (status === null || !s.filter.statuses.has(status))) continue;
      s.send(event);
    }
  }

  /** Registers a stream; returns its unsubscribe function. `close` is called when the hub stops. */
  subscribe(
    filter: StreamFilter,
    send: Subscriber['send'],
    close: Subscriber['close'],
  ): () => void {
    const sub: Subscriber = { filter, send, close };
    this.subscribers.add(sub);
    const missing = bindingsOf(filter).filter((key) => !this.want.has(key));
    if (missing.length > 0) {
      for (const key of missing) this.want.add(key);
      void this.sync();
    }
    return () => {
      if (!this.subscribers.delete(sub) || !this.consumer) return;
      // n.b. one linger for all closes: the bindings are trimmed to the streams open by then
      if (this.unbindTimer) clearTimeout(this.unbindTimer);
      this.unbindTimer = setTimeout(() => {
        this.unbindTimer = null;
        this.want = new Set([...this.subscribers].flatMap((s) => bindingsOf(s.filter)));
        void this.sync();
      }, this.unbindAfterMs);
      this.unbindTimer.unref();
    };
  }

  /**
   * Resolves once the bindings match the open streams (a new stream's events are routed here),
   * or after a few seconds when the broker does not answer; never rejects — with the broker
   * away, the next attachment binds what is wanted then.
   */
  async ready(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.syncing,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, BIND_WAIT_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  /** Brings the stream bindings in line with `want`, one change at a time. */
  private sync(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      const consumer = this.consumer;
      for (;;) {
        const want = new Set(this.want);
        const add = [...want].filter((key) => !this.bound.has(key));
        const drop = [...this.bound].filter((key) => !want.has(key));
        if (!consumer || (add.length === 0 && drop.length === 0)) return;
        try {
          await consumer.onChannel(async (ch, queue) => {
            const exchange = this.topo.exchanges.events;
            for (const key of add) await ch.bindQueue(queue, exchange, key);
            for (const key of drop) await ch.unbindQueue(queue, exchange, key);
          });
          this.bound = want;
        } catch (err) {
          // n.b. not attached: the next attachment's declare binds what is wanted then
          this.log.debug({ err: (err as Error).message }, 'event stream bindings not changed');
          return;
        }
      }
    });
    return this.syncing;
  }

  /** Whether any job or workflow events are routed to this hub right now. */
  get listening(): boolean {
    return this.bound.size > 0;
  }

  /** The job and workflow routing keys bound right now, sorted. */
  get bindings(): string[] {
    return [...this.bound].sort();
  }

  /** Open streams right now. */
  get streams(): number {
    return this.subscribers.size;
  }

  /** Stops consuming and ends every open stream. Idempotent. */
  async stop(): Promise<void> {
    if (this.unbindTimer) clearTimeout(this.unbindTimer);
    this.unbindTimer = null;
    await this.consumer?.close();
    this.consumer = null;
    for (const s of [...this.subscribers]) {
      this.subscribers.delete(s);
      s.close();
    }
  }
}

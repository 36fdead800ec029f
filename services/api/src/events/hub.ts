import {
  checkEnvelope,
  jobLifecycleEvent,
  jobProgressEvent,
  workerHeartbeat,
  workflowLifecycleEvent,
  type Envelope,
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
}

interface Subscriber {
  filter: StreamFilter;
  send: (event: JobStreamEvent) => void;
  close: () => void;
}

/**
 * The API process's single listener on the events exchange: one exclusive, server-named queue
 * bound to `job.#`, `workflow.#` and `worker.heartbeat.#`, fanned out in memory to open SSE streams (by
 * owner / job) and to the worker directory. Events are live updates only — a stream always
 * starts from the job document, so a missed event costs freshness, not correctness.
 */
export class EventHub {
  readonly workers: WorkerDirectory;
  private readonly subscribers = new Set<Subscriber>();
  private consumer: Consumer | null = null;
  /** Messages that were not JSON or failed their schema (dropped, not dead-lettered: they are events). */
  invalid = 0;
  /** Events of an attempt older than one already seen, dropped. */
  stale = 0;
  private readonly attempts = new AttemptTracker();

  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly log: Logger,
    workers: WorkerDirectory = new WorkerDirectory(),
  ) {
    this.workers = workers;
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
          await ch.bindQueue(queue, exchange, 'job.#');
          await ch.bindQueue(queue, exchange, 'workflow.#');
          await ch.bindQueue(queue, exchange, 'worker.heartbeat.#');
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
      if (s.filter.jobId !== undefined) continue;
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
    for (const s of this.subscribers) {
      if (s.filter.owner !== undefined && s.filter.owner !== owner) continue;
      if (s.filter.jobId !== undefined && s.filter.jobId !== jobId) continue;
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
    return () => this.subscribers.delete(sub);
  }

  /** Open streams right now. */
  get streams(): number {
    return this.subscribers.size;
  }

  /** Stops consuming and ends every open stream. Idempotent. */
  async stop(): Promise<void> {
    await this.consumer?.close();
    this.consumer = null;
    for (const s of [...this.subscribers]) {
      this.subscribers.delete(s);
      s.close();
    }
  }
}

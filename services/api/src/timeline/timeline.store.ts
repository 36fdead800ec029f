import type { Connection, mongo } from 'mongoose';
import {
  JOB_STATUSES,
  jobLifecycleEvent,
  type JobError,
  type JobStatus,
  type Topology,
} from '@conveyor/contracts';
import { consumeEnvelopes, type AmqpClient, type Consumer, type Logger } from '@conveyor/platform';
import type { LifecycleEnvelope } from '../events/hub.js';

/** One stored lifecycle event of a job: a step of its timeline. */
export interface TimelineEntry {
  /** The event envelope's id: every API replica hears every event, so this de-duplicates. */
  _id: string;
  jobId: string;
  owner: string;
  status: JobStatus;
  attempt: number;
  occurredAt: Date;
  error: JobError | null;
  /** When a `scheduled` job (first run or retry after backoff) is due. */
  runAt: Date | null;
  workerId: string | null;
}

/** Options of {@link TimelineStore}. */
export interface TimelineStoreOptions {
  /** Buffered events are written this often, in one unordered insert. @default 250 */
  flushMs?: number;
  /** Unacknowledged events this replica takes from the queue at a time. @default 500 */
  prefetch?: number;
  /** Events older than this are deleted by {@link TimelineStore.purge}. @default 15 days */
  keepMs?: number;
  /** While attached, {@link TimelineStore.purge} runs this often. @default 1 hour */
  purgeEveryMs?: number;
}

/**
 * The lifecycle events of every job, kept in `job_events` so a job's timeline (queued, each
 * attempt with its worker, retries with their due time, outcome) survives restarts. Events
 * come from one durable queue on the events exchange (`<prefix>.timeline`, bound to every
 * `job.<status>.#`) that all API replicas share: each event is written by one replica, and
 * events published while no API runs wait in the queue, so a restart leaves no gap. A
 * delivery is acknowledged once its batch is written; writes are batched and de-duplicated by
 * event id (a redelivery after a lost ack is a duplicate, ignored). Events are a history, not
 * the source of truth: one that cannot be written after five deliveries costs a line of the
 * timeline, never a job.
 */
export class TimelineStore {
  private buffer: TimelineEntry[] = [];
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private consumer: Consumer | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  /** Writes that failed (logged and counted, the events dropped). */
  failures = 0;

  constructor(
    private readonly conn: Connection,
    private readonly log: Logger,
    private readonly opts: TimelineStoreOptions = {},
  ) {}

  private get collection(): mongo.Collection<TimelineEntry> {
    return this.conn.collection<TimelineEntry>('job_events');
  }

  /** Creates the index: a job's events in order (`GET /v1/jobs/:id/timeline`), and the purge. */
  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ jobId: 1, occurredAt: 1 });
    await this.collection.createIndex({ occurredAt: 1 });
  }

  /**
   * Declares the shared timeline queue (quorum, durable, bound to every `job.<status>.#` on the
   * events exchange) and records what it delivers; starts the purge timer. Resolves once
   * consuming.
   */
  async start(amqp: AmqpClient, topology: Topology): Promise<void> {
    const queue = topology.queues.timeline;
    this.consumer = await consumeEnvelopes(
      amqp,
      jobLifecycleEvent,
      {
        prefetch: this.opts.prefetch ?? 500,
        tag: 'api-timeline',
        declare: async (ch) => {
          await ch.assertQueue(queue, {
            durable: true,
            // n.b. bounded: with no API running for long, the oldest events go first
            arguments: {
              'x-queue-type': 'quorum',
              'x-delivery-limit': 5,
              'x-max-length': 1_000_000,
            },
          });
          for (const status of JOB_STATUSES)
            await ch.bindQueue(queue, topology.exchanges.events, `job.${status}.#`);
          return queue;
        },
      },
      async (env, delivery) => {
        try {
          await this.record(env);
          delivery.ack();
        } catch {
          // n.b. the store did not take the batch: redelivered, up to the delivery limit
          delivery.nack(true);
        }
      },
      { log: this.log },
    );
    this.purgeTimer ??= setInterval(() => {
      this.purge().catch((err: unknown) => {
        this.failures++;
        this.log.warn({ err: (err as Error).message }, 'timeline purge failed');
      });
    }, this.opts.purgeEveryMs ?? 3_600_000);
    this.purgeTimer.unref();
  }

  /** Buffers one event for the next batched write; resolves once that batch is written. */
  record(env: LifecycleEnvelope): Promise<void> {
    const d = env.data;
    this.buffer.push({
      _id: env.id,
      jobId: d.jobId,
      owner: d.owner,
      status: d.status,
      attempt: d.attempt,
      occurredAt: new Date(env.occurredAt),
      error: d.error ?? null,
      runAt: d.runAt ? new Date(d.runAt) : null,
      workerId: d.workerId ?? null,
    });
    const written = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? 250);
    return written;
  }

  /**
   * Writes what is buffered; resolves once written. A failed write is logged and counted, and
   * the batch's {@link record} promises reject (their deliveries are redelivered).
   */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    const waiters = this.waiters;
    this.buffer = [];
    this.waiters = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.collection.insertMany(batch, { ordered: false });
      } catch (err) {
        const writeErrors = (err as { writeErrors?: { code: number }[] }).writeErrors;
        // n.b. duplicate ids are redeliveries of events already written: expected
        if (!writeErrors?.every((w) => w.code === 11000)) {
          this.failures++;
          this.log.warn({ err: (err as Error).message, n: batch.length }, 'timeline write failed');
          for (const w of waiters) w.reject(err as Error);
          return;
        }
      }
      for (const w of waiters) w.resolve();
    });
    return this.flushing;
  }

  /** A job's events, oldest first (at most 500). */
  async forJob(jobId: string): Promise<TimelineEntry[]> {
    return this.collection.find({ jobId }).sort({ occurredAt: 1 }).limit(500).toArray();
  }

  /** Deletes events older than `keepMs`; returns how many. */
  async purge(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - (this.opts.keepMs ?? 15 * 86_400_000));
    const res = await this.collection.deleteMany({ occurredAt: { $lt: cutoff } });
    return res.deletedCount;
  }

  /** Stops taking events and writes what is buffered (then acknowledged). Idempotent. */
  async close(): Promise<void> {
    await this.consumer?.cancel();
    this.consumer = null;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
    await this.flush();
  }
}

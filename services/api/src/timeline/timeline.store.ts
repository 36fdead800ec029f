import type { Connection, mongo } from 'mongoose';
import type { JobError, JobStatus, Topology } from '@conveyor/contracts';
import type { AmqpClient, Logger } from '@conveyor/platform';
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
  /** Events older than this are deleted by {@link TimelineStore.purge}. @default 15 days */
  keepMs?: number;
  /** While attached, {@link TimelineStore.purge} runs this often. @default 1 hour */
  purgeEveryMs?: number;
}

/**
 * The lifecycle events of jobs stored before histories moved into the job documents, kept in
 * `job_events` (written by `record`, batched and de-duplicated by event id) and purged after
 * `keepMs`. New jobs' timelines come from their own documents (`timelineOf`).
 */
export class TimelineStore {
  private buffer: TimelineEntry[] = [];
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
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
   * Starts the purge of old events. Events are no longer recorded here: a job's history
   * travels in its own document (see `timelineOf`); this store serves the timelines of jobs
   * stored before that, until the purge has removed them.
   */
  startPurge(): void {
    this.purgeTimer ??= setInterval(() => {
      this.purge().catch((err: unknown) => {
        this.failures++;
        this.log.warn({ err: (err as Error).message }, 'timeline purge failed');
      });
    }, this.opts.purgeEveryMs ?? 3_600_000);
    this.purgeTimer.unref();
  }

  /**
   * Deletes the timeline queue earlier releases consumed (bound to every lifecycle event, it
   * would fill up with nobody reading it).
   */
  static async deleteLegacyQueue(amqp: AmqpClient, topology: Topology): Promise<void> {
    await amqp.withChannel((ch) => ch.deleteQueue(topology.queues.timeline));
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

  /** Stops the purge and writes what is buffered. Idempotent. */
  async close(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
    await this.flush();
  }
}

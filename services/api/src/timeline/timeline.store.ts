import type { Connection, mongo } from 'mongoose';
import type { JobError, JobStatus } from '@conveyor/contracts';
import type { Logger } from '@conveyor/platform';
import type { EventHub, LifecycleEnvelope } from '../events/hub.js';

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
 * The lifecycle events of every job, kept in `job_events` so a job's timeline (queued, each
 * attempt with its worker, retries with their due time, outcome) survives restarts. The API's
 * event hub feeds it; writes are batched and de-duplicated by event id, so replicas may all
 * record the same event. Events are a history, not the source of truth: a lost one costs a
 * line of the timeline, never a job.
 */
export class TimelineStore {
  private buffer: TimelineEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
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

  /** Records every lifecycle event the hub hears from now on. */
  attach(hub: EventHub): void {
    this.unsubscribe = hub.subscribe(
      {},
      (event) => {
        if (event.kind === 'lifecycle') this.record(event.env);
      },
      () => undefined,
    );
    this.purgeTimer = setInterval(() => {
      this.purge().catch((err: unknown) => {
        this.failures++;
        this.log.warn({ err: (err as Error).message }, 'timeline purge failed');
      });
    }, this.opts.purgeEveryMs ?? 3_600_000);
    this.purgeTimer.unref();
  }

  /** Buffers one event for the next batched write. */
  record(env: LifecycleEnvelope): void {
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
    this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? 250);
  }

  /** Writes what is buffered; resolves once written (or dropped after an error). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.collection.insertMany(batch, { ordered: false });
      } catch (err) {
        const writeErrors = (err as { writeErrors?: { code: number }[] }).writeErrors;
        // n.b. duplicate ids are other replicas' copies of the same events: expected
        if (writeErrors?.every((w) => w.code === 11000)) return;
        this.failures++;
        this.log.warn({ err: (err as Error).message, n: batch.length }, 'timeline events lost');
      }
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

  /** Stops recording and writes what is buffered. Idempotent. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
    await this.flush();
  }
}

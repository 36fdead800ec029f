import { randomUUID } from 'node:crypto';
import { Types, type Connection } from 'mongoose';
import type { JobError, JobStatus, Priority, Progress } from '@conveyor/contracts';
import { jobModel, type JobDoc, type JobModel } from './job.model.js';

/** What it takes to create a job (already validated). */
export interface NewJob {
  type: string;
  payload: unknown;
  priority: Priority;
  owner: string;
  ownerEmail?: string | null;
  maxAttempts: number;
  timeoutMs: number;
  /** Future = `scheduled`; now or past = `queued`. */
  runAt: Date;
  idempotencyKey?: string | null;
  scheduleId?: string | null;
  correlationId?: string;
}

export interface ListFilter {
  owner?: string;
  status?: JobStatus;
  type?: string;
  /** Exclusive: return jobs older than this id (newest first). */
  before?: string;
  limit: number;
}

const isDuplicateKey = (err: unknown) => (err as { code?: number })?.code === 11000;
const oid = (id: string) => new Types.ObjectId(id);
/** True for a 24-hex id; anything else can never name a job. */
export const isJobId = (id: string) => /^[a-f0-9]{24}$/.test(id);

/**
 * Every state transition of a job lives here, each as one conditional update whose filter
 * names the expected status (and attempt or lease token), so a duplicate or stale message
 * can never move a job twice. Services call these; they never write `status` themselves.
 */
export class JobRepository {
  readonly model: JobModel;

  constructor(conn: Connection) {
    this.model = jobModel(conn);
  }

  /** Creates the indexes (services call this at start). */
  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  private newDoc(input: NewJob, now: Date): JobDoc {
    const _id = new Types.ObjectId();
    const due = input.runAt.getTime() <= now.getTime();
    return {
      _id,
      type: input.type,
      status: due ? 'queued' : 'scheduled',
      priority: input.priority,
      owner: input.owner,
      ownerEmail: input.ownerEmail ?? null,
      payload: JSON.stringify(input.payload ?? null),
      result: null,
      error: null,
      attempts: 0,
      maxAttempts: input.maxAttempts,
      attemptBudget: input.maxAttempts,
      timeoutMs: input.timeoutMs,
      runAt: input.runAt,
      createdAt: now,
      updatedAt: now,
      queuedAt: due ? now : null,
      publishedAt: null,
      startedAt: null,
      finishedAt: null,
      progress: null,
      leaseToken: null,
      leaseUntil: null,
      workerId: null,
      cancelRequested: false,
      dedupeKey: input.idempotencyKey ? `k:${input.owner}:${input.idempotencyKey}` : `id:${_id.toHexString()}`,
      idempotencyKey: input.idempotencyKey ?? null,
      scheduleId: input.scheduleId ?? null,
      correlationId: input.correlationId ?? randomUUID(),
    };
  }

  /**
   * Inserts a job; with an idempotency key already used by this owner, returns the first job
   * instead (`created: false`).
   */
  async create(input: NewJob): Promise<{ job: JobDoc; created: boolean }> {
    const doc = this.newDoc(input, new Date());
    try {
      await this.model.collection.insertOne(doc);
      return { job: doc, created: true };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.model.findOne({ dedupeKey: doc.dedupeKey }).lean<JobDoc>();
      if (!existing) throw err;
      return { job: existing, created: false };
    }
  }

  /** Inserts many jobs in one round trip; duplicates of idempotency keys return the first job. */
  async createMany(inputs: NewJob[]): Promise<{ job: JobDoc; created: boolean }[]> {
    const now = new Date();
    const docs = inputs.map((i) => this.newDoc(i, now));
    const failed = new Set<number>();
    try {
      await this.model.collection.insertMany(docs, { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; code: number }[] }).writeErrors;
      if (!writeErrors) throw err;
      for (const w of writeErrors) {
        if (w.code !== 11000) throw err;
        failed.add(w.index);
      }
    }
    const out: { job: JobDoc; created: boolean }[] = [];
    for (const [i, doc] of docs.entries()) {
      if (!failed.has(i)) {
        out.push({ job: doc, created: true });
        continue;
      }
      const existing = await this.model.findOne({ dedupeKey: doc.dedupeKey }).lean<JobDoc>();
      if (!existing) throw new Error(`job with key ${doc.idempotencyKey} vanished during insert`);
      out.push({ job: existing, created: false });
    }
    return out;
  }

  async get(id: string, owner?: string): Promise<JobDoc | null> {
    if (!isJobId(id)) return null;
    return this.model.findOne({ _id: oid(id), ...(owner !== undefined ? { owner } : {}) }).lean<JobDoc>();
  }

  async list(f: ListFilter): Promise<JobDoc[]> {
    const q: Record<string, unknown> = {};
    if (f.owner !== undefined) q.owner = f.owner;
    if (f.status) q.status = f.status;
    if (f.type) q.type = f.type;
    if (f.before) q._id = { $lt: oid(f.before) };
    return this.model.find(q).sort({ _id: -1 }).limit(f.limit).lean<JobDoc[]>();
  }

  /** queued (attempt N-1 done) -> dispatch confirmed. */
  async markPublished(id: Types.ObjectId, attempts: number): Promise<void> {
    await this.model.updateOne(
      { _id: id, status: 'queued', attempts, publishedAt: null },
      { $set: { publishedAt: new Date() } },
    );
  }

  /** queued -> running for attempt `attempt`. Null when the job is not in that state. */
  async claim(id: string, attempt: number, workerId: string, leaseMs: number): Promise<JobDoc | null> {
    if (!isJobId(id)) return null;
    const now = new Date();
    return this.model
      .findOneAndUpdate(
        { _id: oid(id), status: 'queued', attempts: attempt - 1, cancelRequested: false },
        {
          $set: {
            status: 'running',
            attempts: attempt,
            startedAt: now,
            updatedAt: now,
            leaseToken: randomUUID(),
            leaseUntil: new Date(now.getTime() + leaseMs),
            workerId,
            progress: null,
          },
        },
        { new: true },
      )
      .lean<JobDoc>();
  }

  /**
   * Extends the lease. Returns null when the lease was lost (reaped, finished elsewhere), else
   * whether a cancel was requested — the backstop for a lost cancel broadcast.
   */
  async heartbeat(id: Types.ObjectId, leaseToken: string, leaseMs: number): Promise<{ cancelRequested: boolean } | null> {
    const now = new Date();
    const doc = await this.model
      .findOneAndUpdate(
        { _id: id, status: 'running', leaseToken },
        { $set: { leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: now } },
        { projection: { cancelRequested: 1 }, new: true },
      )
      .lean<{ cancelRequested: boolean }>();
    return doc ? { cancelRequested: doc.cancelRequested } : null;
  }

  /**
   * running -> queued again without spending the attempt (graceful shutdown gave up on it and
   * requeues its message, which may claim it again).
   */
  async release(id: Types.ObjectId, leaseToken: string): Promise<boolean> {
    const now = new Date();
    const res = await this.model.updateOne(
      { _id: id, status: 'running', leaseToken },
      { $inc: { attempts: -1 }, $set: { status: 'queued', queuedAt: now, publishedAt: now, updatedAt: now, leaseToken: null, leaseUntil: null } },
    );
    return res.modifiedCount === 1;
  }

  async saveProgress(id: Types.ObjectId, leaseToken: string, progress: Progress): Promise<boolean> {
    const res = await this.model.updateOne({ _id: id, status: 'running', leaseToken }, { $set: { progress } });
    return res.matchedCount === 1;
  }

  /** running -> succeeded; null when the fence rejects it (lease taken over). */
  async succeed(id: Types.ObjectId, leaseToken: string, result: unknown): Promise<JobDoc | null> {
    const now = new Date();
    return this.model
      .findOneAndUpdate(
        { _id: id, status: 'running', leaseToken },
        {
          $set: {
            status: 'succeeded',
            result: JSON.stringify(result ?? null),
            error: null,
            finishedAt: now,
            updatedAt: now,
            leaseToken: null,
            leaseUntil: null,
            progress: { percent: 100 },
          },
        },
        { new: true },
      )
      .lean<JobDoc>();
  }

  /**
   * running -> scheduled (retry at `retryAt`) or -> failed (no retry). Null when fenced out.
   */
  async fail(id: Types.ObjectId, leaseToken: string, error: JobError, retryAt: Date | null): Promise<JobDoc | null> {
    const now = new Date();
    const set = retryAt
      ? { status: 'scheduled', runAt: retryAt, queuedAt: null, publishedAt: null }
      : { status: 'failed', finishedAt: now };
    return this.model
      .findOneAndUpdate(
        { _id: id, status: 'running', leaseToken },
        { $set: { ...set, error, updatedAt: now, leaseToken: null, leaseUntil: null } },
        { new: true },
      )
      .lean<JobDoc>();
  }

  /** running -> cancelled, by the worker whose handler was aborted by a cancel request. */
  async cancelRunning(id: Types.ObjectId, leaseToken: string): Promise<JobDoc | null> {
    const now = new Date();
    return this.model
      .findOneAndUpdate(
        { _id: id, status: 'running', leaseToken },
        {
          $set: {
            status: 'cancelled',
            finishedAt: now,
            updatedAt: now,
            leaseToken: null,
            leaseUntil: null,
            error: { code: 'CANCELLED', message: 'job was cancelled', retryable: false },
          },
        },
        { new: true },
      )
      .lean<JobDoc>();
  }

  /**
   * Cancel: scheduled/queued -> cancelled at once; running -> `cancelRequested` (the worker
   * ends it as cancelled). Returns the job after the change, or null if it isn't cancellable.
   */
  async requestCancel(id: string, owner?: string): Promise<{ job: JobDoc; immediate: boolean } | null> {
    if (!isJobId(id)) return null;
    const now = new Date();
    const who = owner !== undefined ? { owner } : {};
    const immediate = await this.model
      .findOneAndUpdate(
        { _id: oid(id), ...who, status: { $in: ['scheduled', 'queued'] } },
        {
          $set: {
            status: 'cancelled',
            finishedAt: now,
            updatedAt: now,
            cancelRequested: true,
            error: { code: 'CANCELLED', message: 'job was cancelled', retryable: false },
          },
        },
        { new: true },
      )
      .lean<JobDoc>();
    if (immediate) return { job: immediate, immediate: true };
    const running = await this.model
      .findOneAndUpdate(
        { _id: oid(id), ...who, status: 'running' },
        { $set: { cancelRequested: true, updatedAt: now } },
        { new: true },
      )
      .lean<JobDoc>();
    return running ? { job: running, immediate: false } : null;
  }

  /**
   * failed/cancelled -> queued with a fresh budget of attempts. `attempts` keeps counting up,
   * so a stale dispatch of an earlier attempt can never claim the job again.
   */
  async retry(id: string, owner?: string): Promise<JobDoc | null> {
    const job = await this.get(id, owner);
    if (!job || (job.status !== 'failed' && job.status !== 'cancelled')) return null;
    const now = new Date();
    return this.model
      .findOneAndUpdate(
        { _id: job._id, status: job.status, attempts: job.attempts },
        {
          $set: {
            status: 'queued',
            maxAttempts: job.attempts + job.attemptBudget,
            runAt: now,
            queuedAt: now,
            publishedAt: null,
            finishedAt: null,
            updatedAt: now,
            error: null,
            result: null,
            progress: null,
            cancelRequested: false,
          },
        },
        { new: true },
      )
      .lean<JobDoc>();
  }

  /** Deletes a finished job; null when missing, false when it has not finished. */
  async deleteFinished(id: string, owner?: string): Promise<JobDoc | null | false> {
    const job = await this.get(id, owner);
    if (!job) return null;
    if (job.status !== 'succeeded' && job.status !== 'failed' && job.status !== 'cancelled') return false;
    const res = await this.model.deleteOne({ _id: job._id, status: job.status });
    return res.deletedCount === 1 ? job : false;
  }

  /**
   * Due scheduled jobs -> queued, in batches. The batch is marked with a token in the same
   * update, so each replica learns exactly which jobs *it* promoted (and publishes only those).
   */
  async promoteDue(now: Date, limit: number): Promise<JobDoc[]> {
    const due = await this.model
      .find({ status: 'scheduled', runAt: { $lte: now } }, { _id: 1 })
      .sort({ runAt: 1 })
      .limit(limit)
      .lean<{ _id: Types.ObjectId }[]>();
    if (due.length === 0) return [];
    const token = randomUUID();
    await this.model.updateMany(
      { _id: { $in: due.map((d) => d._id) }, status: 'scheduled' },
      { $set: { status: 'queued', queuedAt: now, publishedAt: null, updatedAt: now, leaseToken: `promote:${token}` } },
    );
    const promoted = await this.model.find({ status: 'queued', leaseToken: `promote:${token}` }).lean<JobDoc[]>();
    if (promoted.length > 0) {
      await this.model.updateMany({ leaseToken: `promote:${token}` }, { $set: { leaseToken: null } });
    }
    return promoted;
  }

  /** The earliest `runAt` of a scheduled job, for the promoter's next-due timer. */
  async nextDue(): Promise<Date | null> {
    const next = await this.model
      .findOne({ status: 'scheduled' }, { runAt: 1 })
      .sort({ runAt: 1 })
      .lean<{ runAt: Date }>();
    return next?.runAt ?? null;
  }

  /** Queued jobs whose dispatch was never confirmed (broker down at submit, crash). */
  async findUnpublished(olderThan: Date, limit: number): Promise<JobDoc[]> {
    return this.model
      .find({ status: 'queued', publishedAt: null, queuedAt: { $lt: olderThan } })
      .sort({ queuedAt: 1 })
      .limit(limit)
      .lean<JobDoc[]>();
  }

  /**
   * Running jobs whose lease expired (worker killed or hung): -> queued for another attempt,
   * or -> failed when none is left. Returns the jobs moved.
   */
  async reapExpired(now: Date, limit: number): Promise<JobDoc[]> {
    const expired = await this.model
      .find({ status: 'running', leaseUntil: { $lt: now } })
      .limit(limit)
      .lean<JobDoc[]>();
    const moved: JobDoc[] = [];
    for (const job of expired) {
      const error: JobError = { code: 'LEASE_EXPIRED', message: `worker ${job.workerId ?? '?'} stopped renewing its lease`, retryable: true };
      const retry = job.attempts < job.maxAttempts && !job.cancelRequested;
      const set = job.cancelRequested
        ? { status: 'cancelled', finishedAt: now }
        : retry
          ? { status: 'queued', queuedAt: now, publishedAt: null }
          : { status: 'failed', finishedAt: now };
      const doc = await this.model
        .findOneAndUpdate(
          { _id: job._id, status: 'running', leaseToken: job.leaseToken },
          { $set: { ...set, error, updatedAt: now, leaseToken: null, leaseUntil: null } },
          { new: true },
        )
        .lean<JobDoc>();
      if (doc) moved.push(doc);
    }
    return moved;
  }

  /** Deletes finished jobs that finished before `before`; returns their ids. */
  async purgeFinished(before: Date, limit: number): Promise<Types.ObjectId[]> {
    const old = await this.model
      .find({ status: { $in: ['succeeded', 'failed', 'cancelled'] }, finishedAt: { $lt: before } }, { _id: 1 })
      .limit(limit)
      .lean<{ _id: Types.ObjectId }[]>();
    if (old.length === 0) return [];
    const ids = old.map((o) => o._id);
    await this.model.deleteMany({ _id: { $in: ids }, finishedAt: { $lt: before } });
    return ids;
  }

  /** Is a job of this schedule still scheduled, queued or running? (overlap policy) */
  async hasActiveForSchedule(scheduleId: string): Promise<boolean> {
    const found = await this.model.exists({ scheduleId, status: { $in: ['scheduled', 'queued', 'running'] } });
    return found !== null;
  }
}

import { randomUUID } from 'node:crypto';
import { Types, type Connection } from 'mongoose';
import type { JobError, JobStatus, Priority, Progress } from '@conveyor/contracts';
import { jobModel, LEASE_ENDED, type JobDoc, type JobModel } from './job.model.js';
import { RevisionGuard } from './revision-guard.js';
import { JobFence, fenceStillOpen } from './fence.js';
import { JobMaintenance } from './job.maintenance.js';
import { insertManySkippingDuplicates, isDuplicateKey } from './duplicate-keys.js';
import { withStoreRetry } from './store-retry.js';

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

const oid = (id: string) => new Types.ObjectId(id);
/** A scheduled job whose time has come (claimable by the dispatch its promoter sent). */
const dueScheduled = (d: JobDoc) => d.status === 'scheduled' && d.runAt.getTime() <= Date.now();

/** True for a 24-hex id; anything else can never name a job. */
export const isJobId = (id: string) => /^[a-f0-9]{24}$/.test(id);

/**
 * Jobs: creation, reads, and the state transitions of the API and the workers (the
 * scheduler's live in {@link JobMaintenance}). Each checks the expected status (and attempt
 * or lease token) and is written through the job's fence (see JobFence, RevisionGuard), so a
 * duplicate or stale message can never move a job twice, on MongoDB and on FerretDB alike.
 * Services call these; they never write `status` themselves.
 */
export class JobRepository {
  readonly model: JobModel;
  readonly guard: RevisionGuard;
  readonly fence: JobFence;
  /** Promotion, outbox and lease queries, retention, digests (the scheduler's side). */
  readonly maintenance: JobMaintenance;

  constructor(conn: Connection) {
    this.model = jobModel(conn);
    this.guard = new RevisionGuard(conn);
    this.fence = new JobFence(this.model, this.guard);
    this.maintenance = new JobMaintenance(this);
  }

  /** Creates the indexes (services call this at start). */
  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
    await this.guard.ensureIndexes();
  }

  private newDoc(input: NewJob, now: Date): JobDoc {
    const _id = new Types.ObjectId();
    const due = input.runAt.getTime() <= now.getTime();
    return {
      _id,
      rev: 0,
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
      dedupeKey: input.idempotencyKey
        ? `k:${input.owner}:${input.idempotencyKey}`
        : `id:${_id.toHexString()}`,
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
    const failed = await insertManySkippingDuplicates(this.model.collection, docs);
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
    return this.model
      .findOne({ _id: oid(id), ...(owner !== undefined ? { owner } : {}) })
      .lean<JobDoc>();
  }

  async list(f: ListFilter): Promise<JobDoc[]> {
    const q: Record<string, unknown> = {};
    if (f.owner !== undefined) q.owner = f.owner;
    if (f.status) q.status = f.status;
    if (f.type) q.type = f.type;
    if (f.before) q._id = { $lt: oid(f.before) };
    return this.model.find(q).sort({ _id: -1 }).limit(f.limit).lean<JobDoc[]>();
  }

  /** See {@link JobFence.write}. */
  private transition(...args: Parameters<JobFence['write']>): ReturnType<JobFence['write']> {
    return this.fence.write(...args);
  }

  /**
   * Marks confirmed dispatches published, in two round trips (guards, then one update).
   * Jobs whose fence was lost moved on already (usually claimed by a worker).
   */
  async markPublishedMany(jobs: JobDoc[]): Promise<void> {
    const candidates = jobs.filter((j) => j.status === 'queued');
    if (candidates.length === 0) return;
    const claimed = Date.now();
    const mine = await withStoreRetry(() => this.guard.acquireMany(candidates));
    const won = candidates.filter((j) => mine.has(j._id.toHexString()));
    if (won.length === 0) return;
    const now = new Date();
    await withStoreRetry(() => {
      fenceStillOpen(won[0]!._id, claimed);
      return this.model.updateMany(
        { _id: { $in: won.map((j) => j._id) } },
        { $set: { publishedAt: now, updatedAt: now }, $inc: { rev: 1 } },
      );
    });
  }

  /**
   * queued -> running for attempt `attempt`. Null when the job is not in that state. A due
   * `scheduled` job is claimable too: the promoter publishes before its write lands (see
   * promoteDue), and such a claim waits on the promoter's fence, then sees `queued`.
   */
  async claim(
    id: string,
    attempt: number,
    workerId: string,
    leaseMs: number,
  ): Promise<JobDoc | null> {
    if (!isJobId(id)) return null;
    return this.transition(
      oid(id),
      (d) =>
        (d.status === 'queued' || dueScheduled(d)) &&
        d.attempts === attempt - 1 &&
        !d.cancelRequested,
      () => {
        const now = new Date();
        return {
          status: 'running',
          attempts: attempt,
          startedAt: now,
          leaseToken: randomUUID(),
          leaseUntil: new Date(now.getTime() + leaseMs),
          workerId,
          progress: null,
        };
      },
    );
  }

  private holds = (leaseToken: string) => (d: JobDoc) =>
    d.status === 'running' && d.leaseToken === leaseToken;

  /**
   * Extends the lease. Returns null when the lease was lost (reaped, finished elsewhere), else
   * the job, whose `cancelRequested` is the backstop for a lost cancel broadcast.
   */
  async heartbeat(
    id: Types.ObjectId,
    leaseToken: string,
    leaseMs: number,
    known?: JobDoc,
  ): Promise<JobDoc | null> {
    const renew = () => ({ leaseUntil: new Date(Date.now() + leaseMs) });
    return this.transition(id, this.holds(leaseToken), renew, known);
  }

  /**
   * running -> queued again without spending the attempt (graceful shutdown gave up on it and
   * requeues its message, which may claim it again).
   */
  async release(id: Types.ObjectId, leaseToken: string, known?: JobDoc): Promise<boolean> {
    const now = new Date();
    const doc = await this.transition(
      id,
      this.holds(leaseToken),
      (d) => ({
        status: 'queued',
        attempts: d.attempts - 1,
        queuedAt: now,
        publishedAt: now,
        ...LEASE_ENDED,
      }),
      known,
    );
    return doc !== null;
  }

  async saveProgress(
    id: Types.ObjectId,
    leaseToken: string,
    progress: Progress,
    known?: JobDoc,
  ): Promise<JobDoc | null> {
    return this.transition(id, this.holds(leaseToken), () => ({ progress }), known);
  }

  /** running -> succeeded; null when the fence rejects it (lease taken over). */
  async succeed(
    id: Types.ObjectId,
    leaseToken: string,
    result: unknown,
    known?: JobDoc,
    progressMessage?: string,
  ): Promise<JobDoc | null> {
    return this.transition(
      id,
      this.holds(leaseToken),
      () => ({
        status: 'succeeded',
        result: JSON.stringify(result ?? null),
        error: null,
        finishedAt: new Date(),
        ...LEASE_ENDED,
        progress: { percent: 100, ...(progressMessage ? { message: progressMessage } : {}) },
      }),
      known,
    );
  }

  /** running -> scheduled (retry at `retryAt`) or -> failed (no retry). Null when fenced out. */
  async fail(
    id: Types.ObjectId,
    leaseToken: string,
    error: JobError,
    retryAt: Date | null,
    known?: JobDoc,
  ): Promise<JobDoc | null> {
    return this.transition(
      id,
      this.holds(leaseToken),
      () => ({
        ...(retryAt
          ? { status: 'scheduled' as const, runAt: retryAt, queuedAt: null, publishedAt: null }
          : { status: 'failed' as const, finishedAt: new Date() }),
        error,
        ...LEASE_ENDED,
      }),
      known,
    );
  }

  /** running -> cancelled, by the worker whose handler was aborted by a cancel request. */
  async cancelRunning(
    id: Types.ObjectId,
    leaseToken: string,
    known?: JobDoc,
  ): Promise<JobDoc | null> {
    return this.transition(
      id,
      this.holds(leaseToken),
      () => ({
        status: 'cancelled',
        finishedAt: new Date(),
        ...LEASE_ENDED,
        error: { code: 'CANCELLED', message: 'job was cancelled', retryable: false },
      }),
      known,
    );
  }

  /**
   * Cancel: scheduled/queued -> cancelled at once; running -> `cancelRequested` (the worker
   * ends it as cancelled). Returns the job after the change, or null if it isn't cancellable.
   */
  async requestCancel(
    id: string,
    owner?: string,
  ): Promise<{ job: JobDoc; immediate: boolean } | null> {
    if (!isJobId(id)) return null;
    let immediate = false;
    const doc = await this.transition(
      oid(id),
      (d) =>
        (owner === undefined || d.owner === owner) &&
        ['scheduled', 'queued', 'running'].includes(d.status),
      (d) => {
        immediate = d.status !== 'running';
        return immediate
          ? {
              status: 'cancelled',
              finishedAt: new Date(),
              cancelRequested: true,
              error: { code: 'CANCELLED', message: 'job was cancelled', retryable: false },
            }
          : { cancelRequested: true };
      },
    );
    return doc ? { job: doc, immediate } : null;
  }

  /**
   * failed/cancelled -> queued with a fresh budget of attempts. `attempts` keeps counting up,
   * so a stale dispatch of an earlier attempt can never claim the job again.
   */
  async retry(id: string, owner?: string): Promise<JobDoc | null> {
    if (!isJobId(id)) return null;
    return this.transition(
      oid(id),
      (d) =>
        (owner === undefined || d.owner === owner) &&
        (d.status === 'failed' || d.status === 'cancelled'),
      (d) => {
        const now = new Date();
        return {
          status: 'queued',
          maxAttempts: d.attempts + d.attemptBudget,
          runAt: now,
          queuedAt: now,
          publishedAt: null,
          finishedAt: null,
          error: null,
          result: null,
          progress: null,
          cancelRequested: false,
        };
      },
    );
  }

  /** Deletes a finished job; null when missing, false when it has not finished. */
  async deleteFinished(id: string, owner?: string): Promise<JobDoc | null | false> {
    const job = await this.get(id, owner);
    if (!job) return null;
    if (job.status !== 'succeeded' && job.status !== 'failed' && job.status !== 'cancelled')
      return false;
    if (!(await this.guard.acquire(job._id, job.rev))) return false;
    await this.model.deleteOne({ _id: job._id });
    return job;
  }
}

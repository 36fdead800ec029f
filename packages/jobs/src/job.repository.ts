import { randomUUID } from 'node:crypto';
import { Types, type Connection } from 'mongoose';
import type { JobError, JobStatus, Priority, Progress } from '@conveyor/contracts';
import { jobModel, type JobDoc, type JobModel } from './job.model.js';
import { FENCE_TTL_MS, RevisionGuard } from './revision-guard.js';
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
/**
 * The mailer's record of each sent message, keyed by job id (its _id is the job's hex id);
 * the retention purge deletes it with its job.
 */
export const MAIL_DELIVERIES_COLLECTION = 'mail_deliveries';

/** The fields that end a running attempt's lease. */
const LEASE_ENDED = { leaseToken: null, leaseUntil: null } as const;

/** A scheduled job whose time has come (claimable by the dispatch its promoter sent). */
const dueScheduled = (d: JobDoc) => d.status === 'scheduled' && d.runAt.getTime() <= Date.now();

/** Thrown instead of writing when a fence was held too long to still be trusted. */
export class FenceExpiredError extends Error {
  constructor(id: Types.ObjectId) {
    super(`the write fence on job ${id.toHexString()} expired before the write could land`);
    this.name = 'FenceExpiredError';
  }
}

function fenceStillOpen(id: Types.ObjectId, claimedAt: number): void {
  if (Date.now() - claimedAt > FENCE_TTL_MS / 2) throw new FenceExpiredError(id);
}

/** True for a 24-hex id; anything else can never name a job. */
export const isJobId = (id: string) => /^[a-f0-9]{24}$/.test(id);

/**
 * Every state transition of a job lives here. Each checks the expected status (and attempt or
 * lease token) and is fenced by the job's revision (see RevisionGuard), so a duplicate or
 * stale message can never move a job twice, on MongoDB and on FerretDB alike. Services call
 * these; they never write `status` themselves.
 */
export class JobRepository {
  readonly model: JobModel;
  readonly guard: RevisionGuard;

  constructor(conn: Connection) {
    this.model = jobModel(conn);
    this.guard = new RevisionGuard(conn);
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

  /**
   * The one way a job document changes: read it (or take the caller's fresh copy), check
   * `accept`, claim its revision in the guard, then write `changes` with `rev + 1`. Losing
   * the guard means another writer moved first: re-read and decide again (up to `tries`).
   * Returns the job after the change, or null when `accept` refused it.
   */
  private async transition(
    id: Types.ObjectId,
    accept: (doc: JobDoc) => boolean,
    changes: (doc: JobDoc) => Partial<JobDoc>,
    known?: JobDoc,
    tries = 20,
    onContention: 'throw' | 'skip' = 'throw',
  ): Promise<JobDoc | null> {
    let doc: JobDoc | null = known ?? null;
    for (let i = 0; i < tries; i++) {
      doc ??= await withStoreRetry(() => this.model.findById(id).lean<JobDoc>());
      if (!doc || !accept(doc)) return null;
      const rev = doc.rev;
      if (await withStoreRetry(() => this.guard.acquire(id, rev))) {
        const claimed = Date.now();
        const set = { ...changes(doc), rev: rev + 1, updatedAt: new Date() };
        // n.b. the fence is ours now: this write must land, so transient store errors are
        // retried — but never later than half the fence TTL, after which the claim counts as
        // abandoned and may be repaired. The `rev` condition is a second line of defence (on
        // MongoDB it alone would do); both parts are looked up by the _id index.
        const res = await withStoreRetry(() => {
          fenceStillOpen(id, claimed);
          return this.model.updateOne({ _id: id, rev }, { $set: set });
        });
        if (res.matchedCount === 1) return { ...doc, ...set };
        doc = null;
        continue;
      }
      if (i > 0 && (await this.repairAbandonedFence(id, rev))) {
        doc = null;
        continue;
      }
      doc = null;
      // n.b. the winner's write usually lands within milliseconds; don't spin on the old revision
      await new Promise((r) => setTimeout(r, Math.min(100, 2 + i * 5)));
    }
    if (onContention === 'skip') return null;
    throw new Error(`job ${id.toHexString()} is being written too often to change it now`);
  }

  /**
   * A writer that claimed `rev` and died before its write leaves the job at `rev` with the
   * claim taken, so no other writer could ever move it. Once the claim is older than the
   * fence TTL (its writer gives up at half of it), one repairer moves the job to `rev + 1`
   * unchanged; the abandoned change is simply lost, like a crash just before it. True when
   * the job may have moved (re-read and try again).
   */
  async repairAbandonedFence(id: Types.ObjectId, rev: number, now = Date.now()): Promise<boolean> {
    const since = await withStoreRetry(() => this.guard.heldSince(id, rev));
    if (!since || now - since.getTime() < FENCE_TTL_MS) return false;
    const current = await this.model.findById(id, { rev: 1 }).lean<{ rev: number }>();
    if (!current || current.rev !== rev) return current !== null;
    if (!(await withStoreRetry(() => this.guard.acquireRepair(id, rev, now)))) return false;
    await withStoreRetry(() =>
      this.model.updateOne({ _id: id, rev }, { $set: { rev: rev + 1, updatedAt: new Date() } }),
    );
    this.onRepair?.(id, rev);
    return true;
  }

  /** Called when an abandoned fence was repaired (metrics, logs). */
  onRepair?: (id: Types.ObjectId, rev: number) => void;

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

  /**
   * Due scheduled jobs -> queued, one batch: claims each job's revision in the guard in one
   * round trip (so each replica learns exactly which jobs *it* promotes), publishes their
   * dispatches with `publish` while the fences are held, then writes `queued` with
   * `publishedAt` set for the confirmed ones — one write per job, and a promoted job is never
   * left looking unpublished to the outbox sweeper. Unsorted: every due job is promoted in
   * the same pass anyway, and sorting made the local store decode and sort every document.
   */
  async promoteDue(
    now: Date,
    limit: number,
    publish: (jobs: JobDoc[]) => Promise<Set<string>>,
    chunk = 250,
  ): Promise<{ found: number; promoted: JobDoc[] }> {
    const due = await this.model
      .find({ status: 'scheduled', runAt: { $lte: now } })
      .limit(limit)
      .lean<JobDoc[]>();
    const promoted: JobDoc[] = [];
    // n.b. in chunks: a worker that receives a dispatch before its promotion write lands
    // waits on the fence, so the time between the two stays short. Each replica starts at a
    // random chunk, so replicas that found the same jobs mostly take different ones.
    const chunks = Math.ceil(due.length / chunk);
    const first = Math.floor(Math.random() * chunks);
    for (let k = 0; k < chunks; k++) {
      const i = ((first + k) % chunks) * chunk;
      promoted.push(...(await this.promoteChunk(due.slice(i, i + chunk), now, publish)));
    }
    return { found: due.length, promoted };
  }

  private async promoteChunk(
    due: JobDoc[],
    now: Date,
    publish: (jobs: JobDoc[]) => Promise<Set<string>>,
  ): Promise<JobDoc[]> {
    const claimed = Date.now();
    const mine = await withStoreRetry(() => this.guard.acquireMany(due));
    const won = due.filter((d) => mine.has(d._id.toHexString()));
    // A job due for longer than the fence TTL that nobody could claim is stuck behind a
    // promoter that died mid-batch: repair it for the next pass.
    for (const d of due)
      if (!mine.has(d._id.toHexString()) && claimed - d.runAt.getTime() > FENCE_TTL_MS)
        await this.repairAbandonedFence(d._id, d.rev, claimed);
    if (won.length === 0) return [];
    const queued = won.map((d) => ({
      ...d,
      status: 'queued' as const,
      queuedAt: now,
      publishedAt: null as Date | null,
      rev: d.rev + 1,
    }));
    const confirmed = await publish(queued);
    const at = new Date();
    for (const j of queued) {
      j.updatedAt = at;
      if (confirmed.has(j._id.toHexString())) j.publishedAt = at;
    }
    for (const published of [true, false]) {
      const ids = queued.filter((j) => (j.publishedAt !== null) === published).map((j) => j._id);
      if (ids.length === 0) continue;
      const set = {
        status: 'queued',
        queuedAt: now,
        publishedAt: published ? at : null,
        updatedAt: at,
      };
      await withStoreRetry(() => {
        fenceStillOpen(ids[0]!, claimed);
        return this.model.updateMany({ _id: { $in: ids } }, { $set: set, $inc: { rev: 1 } });
      });
    }
    return queued;
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

  /** Queued jobs of `types` whose dispatch was published before `before` (a lost message?). */
  async findStaleQueued(before: Date, types: string[], limit: number): Promise<JobDoc[]> {
    if (types.length === 0) return [];
    return this.model
      .find({ status: 'queued', publishedAt: { $lt: before }, type: { $in: types } })
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
      const doc = await this.transition(
        job._id,
        (d) =>
          d.status === 'running' &&
          d.leaseToken === job.leaseToken &&
          d.leaseUntil !== null &&
          d.leaseUntil < now,
        (d) => {
          const error: JobError = {
            code: 'LEASE_EXPIRED',
            message: `worker ${d.workerId ?? '?'} stopped renewing its lease`,
            retryable: true,
          };
          const base = { error, ...LEASE_ENDED };
          if (d.cancelRequested) return { ...base, status: 'cancelled', finishedAt: now };
          if (d.attempts < d.maxAttempts)
            return { ...base, status: 'queued', queuedAt: now, publishedAt: null };
          return { ...base, status: 'failed', finishedAt: now };
        },
        job,
      );
      if (doc) moved.push(doc);
    }
    return moved;
  }

  /** Deletes finished jobs that finished before `before`; returns their ids. */
  async purgeFinished(before: Date, limit: number): Promise<Types.ObjectId[]> {
    const old = await this.model
      .find(
        { status: { $in: ['succeeded', 'failed', 'cancelled'] }, finishedAt: { $lt: before } },
        { _id: 1 },
      )
      .limit(limit)
      .lean<{ _id: Types.ObjectId }[]>();
    if (old.length === 0) return [];
    const ids = old.map((o) => o._id);
    await this.model.deleteMany({ _id: { $in: ids }, finishedAt: { $lt: before } });
    return ids;
  }

  /** Deletes what other services keep per job (mail deliveries) for jobs that are gone. */
  async deleteJobRecords(ids: Types.ObjectId[]): Promise<void> {
    if (ids.length === 0) return;
    await this.model.db
      .collection<{ _id: string }>(MAIL_DELIVERIES_COLLECTION)
      .deleteMany({ _id: { $in: ids.map((id) => id.toHexString()) } });
  }

  /**
   * An owner's digest figures: jobs pending (scheduled or queued) and running now, and jobs
   * failed or succeeded since `since`, with the most recent failures (at most 20).
   */
  async digestCounts(owner: string, since: Date) {
    const [pending, running, failed, succeeded, recent] = await Promise.all([
      this.model.countDocuments({ owner, status: { $in: ['scheduled', 'queued'] } }),
      this.model.countDocuments({ owner, status: 'running' }),
      this.model.countDocuments({ owner, status: 'failed', finishedAt: { $gte: since } }),
      this.model.countDocuments({ owner, status: 'succeeded', finishedAt: { $gte: since } }),
      this.model
        .find({ owner, status: 'failed', finishedAt: { $gte: since } })
        .sort({ finishedAt: -1 })
        .limit(20)
        .lean<JobDoc[]>(),
    ]);
    return {
      counts: { pending, running, failed, succeeded },
      failedJobs: recent.map((j) => ({
        id: j._id.toHexString(),
        type: j.type,
        ...(j.error ? { error: `${j.error.code}: ${j.error.message}`.slice(0, 1000) } : {}),
      })),
    };
  }

  /** Is a job of this schedule still scheduled, queued or running? (overlap policy) */
  async hasActiveForSchedule(scheduleId: string): Promise<boolean> {
    const found = await this.model.exists({
      scheduleId,
      status: { $in: ['scheduled', 'queued', 'running'] },
    });
    return found !== null;
  }
}

import type { Types } from 'mongoose';
import type { JobError } from '@conveyor/contracts';
import { LEASE_ENDED, type JobDoc } from './job.model.js';
import { fenceStillOpen } from './fence.js';
import { FENCE_TTL_MS } from './revision-guard.js';
import { withStoreRetry } from './store-retry.js';
import type { JobRepository } from './job.repository.js';

/**
 * The mailer's record of each sent message, keyed by job id (its _id is the job's hex id);
 * the retention purge deletes it with its job.
 */
export const MAIL_DELIVERIES_COLLECTION = 'mail_deliveries';

/**
 * The scheduler's side of the job store: promotion of due jobs, the outbox and lease
 * queries, retention and digests. Writes go through the repository's fence like every other.
 */
export class JobMaintenance {
  constructor(private readonly repo: JobRepository) {}

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
    const due = await this.repo.model
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
    const mine = await withStoreRetry(() => this.repo.guard.acquireMany(due));
    const won = due.filter((d) => mine.has(d._id.toHexString()));
    // A due job whose claim is older than the fence TTL is stuck behind a writer (a promoter)
    // that died mid-batch: repair it for the next pass. One query for the whole chunk; the
    // claims other replicas hold right now are fresh and cost nothing more.
    const lost = due.filter((d) => !mine.has(d._id.toHexString()));
    const abandoned = await this.repo.guard.claimedBefore(lost, new Date(claimed - FENCE_TTL_MS));
    for (const d of lost)
      if (abandoned.has(d._id.toHexString()))
        await this.repo.fence.repairAbandoned(d._id, d.rev, claimed);
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
        return this.repo.model.updateMany({ _id: { $in: ids } }, { $set: set, $inc: { rev: 1 } });
      });
    }
    return queued;
  }

  /** The earliest `runAt` of a scheduled job, for the promoter's next-due timer. */
  async nextDue(): Promise<Date | null> {
    const next = await this.repo.model
      .findOne({ status: 'scheduled' }, { runAt: 1 })
      .sort({ runAt: 1 })
      .lean<{ runAt: Date }>();
    return next?.runAt ?? null;
  }

  /** Queued jobs whose dispatch was never confirmed (broker down at submit, crash). */
  async findUnpublished(olderThan: Date, limit: number): Promise<JobDoc[]> {
    return this.repo.model
      .find({ status: 'queued', publishedAt: null, queuedAt: { $lt: olderThan } })
      .sort({ queuedAt: 1 })
      .limit(limit)
      .lean<JobDoc[]>();
  }

  /** Queued jobs of `types` whose dispatch was published before `before` (a lost message?). */
  async findStaleQueued(before: Date, types: string[], limit: number): Promise<JobDoc[]> {
    if (types.length === 0) return [];
    return this.repo.model
      .find({ status: 'queued', publishedAt: { $lt: before }, type: { $in: types } })
      .limit(limit)
      .lean<JobDoc[]>();
  }

  /**
   * Running jobs whose lease expired (worker killed or hung): -> queued for another attempt,
   * or -> failed when none is left. Returns the jobs moved.
   */
  async reapExpired(now: Date, limit: number): Promise<JobDoc[]> {
    const expired = await this.repo.model
      .find({ status: 'running', leaseUntil: { $lt: now } })
      .limit(limit)
      .lean<JobDoc[]>();
    const moved: JobDoc[] = [];
    for (const job of expired) {
      const doc = await this.repo.fence.write(
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
    const old = await this.repo.model
      .find(
        { status: { $in: ['succeeded', 'failed', 'cancelled'] }, finishedAt: { $lt: before } },
        { _id: 1 },
      )
      .limit(limit)
      .lean<{ _id: Types.ObjectId }[]>();
    if (old.length === 0) return [];
    const ids = old.map((o) => o._id);
    await this.repo.model.deleteMany({ _id: { $in: ids }, finishedAt: { $lt: before } });
    return ids;
  }

  /** Deletes what other services keep per job (mail deliveries) for jobs that are gone. */
  async deleteJobRecords(ids: Types.ObjectId[]): Promise<void> {
    if (ids.length === 0) return;
    await this.repo.model.db
      .collection<{ _id: string }>(MAIL_DELIVERIES_COLLECTION)
      .deleteMany({ _id: { $in: ids.map((id) => id.toHexString()) } });
  }

  /**
   * An owner's digest figures: jobs pending (scheduled or queued) and running now, and jobs
   * failed or succeeded since `since`, with the most recent failures (at most 20).
   */
  async digestCounts(owner: string, since: Date) {
    const [pending, running, failed, succeeded, recent] = await Promise.all([
      this.repo.model.countDocuments({ owner, status: { $in: ['scheduled', 'queued'] } }),
      this.repo.model.countDocuments({ owner, status: 'running' }),
      this.repo.model.countDocuments({ owner, status: 'failed', finishedAt: { $gte: since } }),
      this.repo.model.countDocuments({ owner, status: 'succeeded', finishedAt: { $gte: since } }),
      this.repo.model
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
    const found = await this.repo.model.exists({
      scheduleId,
      status: { $in: ['scheduled', 'queued', 'running'] },
    });
    return found !== null;
  }
}

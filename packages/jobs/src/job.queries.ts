import { Types } from 'mongoose';

const { ObjectId } = Types;
import { JOB_STATUSES, type JobStatus } from '@conveyor/contracts';
import type { JobDoc, JobModel } from './job.model.js';
import { FINISHED_STATUSES } from './transitions.js';

/**
 * Read-only questions about jobs that the scheduler, the mailer's digest and the API's ops
 * routes ask. Each names the index that answers it on MongoDB (see job.model.ts).
 */
export class JobQueries {
  constructor(private readonly model: JobModel) {}

  /** Due scheduled jobs (index `status, runAt`). */
  findDue(now: Date, limit: number): Promise<JobDoc[]> {
    return this.model
      .find({ status: 'scheduled', runAt: { $lte: now } })
      .limit(limit)
      .lean<JobDoc[]>()
      .exec();
  }

  /** The earliest `runAt` of a scheduled job, for the promoter's timer (index `status, runAt`). */
  async nextDue(): Promise<Date | null> {
    const next = await this.model
      .findOne({ status: 'scheduled' }, { runAt: 1 })
      .sort({ runAt: 1 })
      .lean<{ runAt: Date }>();
    return next?.runAt ?? null;
  }

  /** Queued jobs whose dispatch was never confirmed (index `status, publishedAt, queuedAt`). */
  findUnpublished(olderThan: Date, limit: number): Promise<JobDoc[]> {
    return this.model
      .find({ status: 'queued', publishedAt: null, queuedAt: { $lt: olderThan }, holdKey: null })
      .sort({ queuedAt: 1 })
      .limit(limit)
      .lean<JobDoc[]>()
      .exec();
  }

  /** Finished jobs whose final event is still unconfirmed, marked before `olderThan` (oldest first). */
  findFinalEventPending(olderThan: Date, limit: number): Promise<JobDoc[]> {
    return this.model
      .find({
        eventPendingAt: { $lt: olderThan },
        status: { $in: ['succeeded', 'failed', 'cancelled'] },
      })
      .sort({ eventPendingAt: 1 })
      .limit(limit)
      .lean<JobDoc[]>()
      .exec();
  }

  /** Queued jobs of `types` whose dispatch went out before `before` (a lost message?). */
  findStaleQueued(before: Date, types: string[], limit: number): Promise<JobDoc[]> {
    if (types.length === 0) return Promise.resolve([]);
    return this.model
      .find({ status: 'queued', publishedAt: { $lt: before }, type: { $in: types } })
      .limit(limit)
      .lean<JobDoc[]>()
      .exec();
  }

  /** Running jobs whose lease ran out (index `status, leaseUntil`). */
  findExpiredLeases(now: Date, limit: number): Promise<JobDoc[]> {
    return this.model
      .find({ status: 'running', leaseUntil: { $lt: now } })
      .limit(limit)
      .lean<JobDoc[]>()
      .exec();
  }

  /** Finished jobs that finished before `before` (index `finishedAt`). */
  async findFinishedBefore(before: Date, limit: number): Promise<Types.ObjectId[]> {
    const old = await this.model
      .find({ status: { $in: [...FINISHED_STATUSES] }, finishedAt: { $lt: before } }, { _id: 1 })
      .limit(limit)
      .lean<{ _id: Types.ObjectId }[]>();
    return old.map((o) => o._id);
  }

  /** Of `ids`, the jobs that are finished (by `_id`), for the completion-callback sweep. */
  findFinishedAmong(ids: Types.ObjectId[]): Promise<JobDoc[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.model
      .find({ _id: { $in: ids }, status: { $in: [...FINISHED_STATUSES] } })
      .lean<JobDoc[]>()
      .exec();
  }

  /** Of `ids`, those that still name a job. */
  async existingAmong(ids: Types.ObjectId[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const found = await this.model
      .find({ _id: { $in: ids } }, { _id: 1 })
      .lean<{ _id: Types.ObjectId }[]>();
    return new Set(found.map((f) => f._id.toHexString()));
  }

  /**
   * An owner's jobs created in `[from, to]`, as a cursor (index `owner, _id`: the id holds the
   * creation second), for reports over a period. Only the fields a report needs.
   */
  ownerJobsCreatedBetween(
    owner: string,
    from: Date,
    to: Date,
  ): AsyncIterable<
    Pick<JobDoc, '_id' | 'type' | 'status' | 'createdAt' | 'startedAt' | 'finishedAt'>
  > {
    return this.model
      .find(
        {
          owner,
          _id: {
            $gte: ObjectId.createFromTime(Math.floor(from.getTime() / 1000)),
            $lt: ObjectId.createFromTime(Math.floor(to.getTime() / 1000) + 1),
          },
        },
        { type: 1, status: 1, createdAt: 1, startedAt: 1, finishedAt: 1 },
      )
      .lean<Pick<JobDoc, '_id' | 'type' | 'status' | 'createdAt' | 'startedAt' | 'finishedAt'>>()
      .cursor();
  }

  /** Jobs per status, of one owner or of everyone. */
  async countByStatus(owner?: string): Promise<Record<JobStatus, number>> {
    const counts = await Promise.all(
      JOB_STATUSES.map(
        async (status) =>
          [
            status,
            await this.model.countDocuments({ status, ...(owner !== undefined ? { owner } : {}) }),
          ] as const,
      ),
    );
    return Object.fromEntries(counts) as Record<JobStatus, number>;
  }

  /**
   * Owners with a known address who have pending jobs or failures since `since`, with the
   * address of their newest such job: who gets a digest.
   */
  async digestRecipients(since: Date): Promise<{ owner: string; email: string }[]> {
    const interesting = {
      ownerEmail: { $ne: null },
      $or: [
        { status: { $in: ['scheduled', 'queued'] } },
        { status: 'failed', finishedAt: { $gte: since } },
      ],
    };
    const owners = (await this.model.collection.distinct('owner', interesting)) as string[];
    const out: { owner: string; email: string }[] = [];
    for (const owner of owners) {
      const latest = await this.model.collection.findOne<{ ownerEmail: string | null }>(
        { ...interesting, owner },
        { projection: { ownerEmail: 1 }, sort: { _id: -1 } },
      );
      if (latest?.ownerEmail) out.push({ owner, email: latest.ownerEmail });
    }
    return out;
  }

  /**
   * An owner's digest figures: jobs pending (scheduled or queued) and running now, and jobs
   * failed or succeeded since `since`, with the most recent failures (at most 20).
   */
  async digestCounts(owner: string, since: Date) {
    const m = this.model;
    const [pending, running, failed, succeeded, recent] = await Promise.all([
      m.countDocuments({ owner, status: { $in: ['scheduled', 'queued'] } }),
      m.countDocuments({ owner, status: 'running' }),
      m.countDocuments({ owner, status: 'failed', finishedAt: { $gte: since } }),
      m.countDocuments({ owner, status: 'succeeded', finishedAt: { $gte: since } }),
      m
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

  /** Is a job of this schedule still scheduled, queued or running? (index `scheduleId, status`) */
  async hasActiveForSchedule(scheduleId: string): Promise<boolean> {
    const found = await this.model.exists({
      scheduleId,
      status: { $in: ['scheduled', 'queued', 'running'] },
    });
    return found !== null;
  }
}

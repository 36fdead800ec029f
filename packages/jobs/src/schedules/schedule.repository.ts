import { Types, type Connection } from 'mongoose';
import { scheduleModel, type ScheduleDoc, type ScheduleModel } from './schedule.model.js';

/** What it takes to create a schedule (already validated; `nextFireAt` already computed). */
export type NewSchedule = Pick<
  ScheduleDoc,
  | 'owner'
  | 'name'
  | 'cron'
  | 'timezone'
  | 'enabled'
  | 'jobTemplate'
  | 'workflowTemplate'
  | 'misfirePolicy'
  | 'overlapPolicy'
  | 'nextFireAt'
> & { ownerEmail?: string | null };

/** Fields a schedule update may change. */
export type SchedulePatch = Partial<Omit<NewSchedule, 'owner' | 'ownerEmail'>>;

const oid = (id: string) => new Types.ObjectId(id);
const isScheduleId = (id: string) => /^[a-f0-9]{24}$/.test(id);
const ownedBy = (owner?: string) => (owner !== undefined ? { owner } : {});

/** Schedules, owned like jobs: with `owner`, a method only sees that owner's schedules. */
export class ScheduleRepository {
  readonly model: ScheduleModel;

  constructor(conn: Connection) {
    this.model = scheduleModel(conn);
  }

  /** Creates the indexes (services call this at start). */
  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  async create(input: NewSchedule): Promise<ScheduleDoc> {
    const now = new Date();
    const doc: ScheduleDoc = {
      _id: new Types.ObjectId(),
      ...input,
      ownerEmail: input.ownerEmail ?? null,
      workflowTemplate: input.workflowTemplate ?? null,
      lastFireAt: null,
      lastJobId: null,
      lastWorkflowId: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.model.collection.insertOne(doc);
    return doc;
  }

  async get(id: string, owner?: string): Promise<ScheduleDoc | null> {
    if (!isScheduleId(id)) return null;
    return this.model.findOne({ _id: oid(id), ...ownedBy(owner) }).lean<ScheduleDoc>();
  }

  /** Newest first; `before` is an exclusive _id cursor. */
  async list(f: { owner?: string; before?: string; limit: number }): Promise<ScheduleDoc[]> {
    const q: Record<string, unknown> = { ...ownedBy(f.owner) };
    if (f.before && isScheduleId(f.before)) q._id = { $lt: oid(f.before) };
    return this.model.find(q).sort({ _id: -1 }).limit(f.limit).lean<ScheduleDoc[]>();
  }

  /** Applies `patch`; returns the schedule after it, or null when missing / not owned. */
  async update(id: string, patch: SchedulePatch, owner?: string): Promise<ScheduleDoc | null> {
    if (!isScheduleId(id)) return null;
    return this.model
      .findOneAndUpdate(
        { _id: oid(id), ...ownedBy(owner) },
        { $set: { ...patch, updatedAt: new Date() } },
        { returnDocument: 'after' },
      )
      .lean<ScheduleDoc>();
  }

  /** Deletes a schedule; false when missing / not owned. Its jobs stay. */
  async delete(id: string, owner?: string): Promise<boolean> {
    if (!isScheduleId(id)) return false;
    const res = await this.model.deleteOne({ _id: oid(id), ...ownedBy(owner) });
    return res.deletedCount === 1;
  }

  /** Enabled schedules whose next fire time has come, earliest first. */
  async findDue(now: Date, limit: number): Promise<ScheduleDoc[]> {
    return this.model
      .find({ enabled: true, nextFireAt: { $lte: now } })
      .sort({ nextFireAt: 1 })
      .limit(limit)
      .lean<ScheduleDoc[]>();
  }

  /** The earliest next fire time of any enabled schedule, for the cron runner's timer. */
  async earliestNextFire(): Promise<Date | null> {
    const next = await this.model
      .findOne({ enabled: true, nextFireAt: { $ne: null } }, { nextFireAt: 1 })
      .sort({ nextFireAt: 1 })
      .lean<{ nextFireAt: Date }>();
    return next?.nextFireAt ?? null;
  }

  /**
   * Moves `nextFireAt` from `expectedNextFireAt` to `newNextFireAt`, recording the fire when
   * one happened. Conditional on the expected value, so of several replicas handling the same
   * fire exactly one advances it; false for the others (or if the schedule was edited).
   */
  async advance(
    id: Types.ObjectId,
    expectedNextFireAt: Date,
    newNextFireAt: Date | null,
    fired?: { at: Date; jobId?: string; workflowId?: string },
  ): Promise<boolean> {
    const set: Record<string, unknown> = { nextFireAt: newNextFireAt, updatedAt: new Date() };
    if (fired) {
      set.lastFireAt = fired.at;
      if (fired.jobId) set.lastJobId = fired.jobId;
      if (fired.workflowId) set.lastWorkflowId = fired.workflowId;
    }
    const res = await this.model.updateOne(
      { _id: id, nextFireAt: expectedNextFireAt },
      { $set: set },
    );
    return res.modifiedCount === 1;
  }
}

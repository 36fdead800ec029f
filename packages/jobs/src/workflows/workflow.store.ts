import { Types, type Connection, type mongo } from 'mongoose';
import type { WorkflowStatus } from '@conveyor/contracts';
import { workflowModel, type WorkflowDoc, type WorkflowModel } from './workflow.model.js';

/** Filter of a workflow listing. */
export interface WorkflowListFilter {
  owner?: string;
  status?: WorkflowStatus;
  /** Exclusive: workflows older than this id (newest first). */
  before?: string;
  limit: number;
}

const isId = (id: string) => /^[a-f0-9]{24}$/.test(id);

/**
 * The workflows collection: inserts, reads, and conditional updates of one document (the
 * engine builds their filters and changes; see WorkflowEngine).
 */
export class WorkflowStore {
  readonly model: WorkflowModel;
  private readonly coll: mongo.Collection<WorkflowDoc>;

  constructor(conn: Connection) {
    this.model = workflowModel(conn);
    this.coll = this.model.collection as unknown as mongo.Collection<WorkflowDoc>;
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  async insert(doc: WorkflowDoc): Promise<void> {
    await this.coll.insertOne(doc);
  }

  async get(id: string | Types.ObjectId, owner?: string): Promise<WorkflowDoc | null> {
    if (typeof id === 'string' && !isId(id)) return null;
    const _id = typeof id === 'string' ? new Types.ObjectId(id) : id;
    return this.coll.findOne({ _id, ...(owner !== undefined ? { owner } : {}) });
  }

  async getByFireKey(fireKey: string): Promise<WorkflowDoc | null> {
    return this.coll.findOne({ fireKey });
  }

  /** Whether a workflow of the schedule is still running (overlap policy `skip`). */
  async hasRunningForSchedule(scheduleId: string): Promise<boolean> {
    return (
      (await this.coll.findOne({ scheduleId, status: 'running' }, { projection: { _id: 1 } })) !==
      null
    );
  }

  async list(f: WorkflowListFilter): Promise<WorkflowDoc[]> {
    const q: Record<string, unknown> = {};
    if (f.owner !== undefined) q.owner = f.owner;
    if (f.status) q.status = f.status;
    if (f.before) q._id = { $lt: new Types.ObjectId(f.before) };
    return this.model.find(q).sort({ _id: -1 }).limit(f.limit).lean<WorkflowDoc[]>();
  }

  /**
   * One conditional update: applies `update` when the workflow still matches `filter`
   * (besides its id); returns the document after it, or null when another writer got there
   * first.
   */
  async update(
    id: Types.ObjectId,
    filter: Record<string, unknown>,
    update: { $set: Record<string, unknown>; $inc?: Record<string, number> },
  ): Promise<WorkflowDoc | null> {
    return this.coll.findOneAndUpdate({ _id: id, ...filter }, update, { returnDocument: 'after' });
  }

  /** Running workflows not changed for `minAgeMs`, least recently swept first. */
  async findStale(minAgeMs: number, limit: number): Promise<WorkflowDoc[]> {
    const now = Date.now();
    return this.model
      .find({ status: 'running', updatedAt: { $lt: new Date(now - minAgeMs) } })
      .sort({ sweptAt: 1 })
      .limit(limit)
      .lean<WorkflowDoc[]>();
  }

  /** Stopped workflows whose running jobs may not all have been asked to cancel yet. */
  async findSettling(limit: number): Promise<WorkflowDoc[]> {
    return this.model.find({ settling: true }).limit(limit).lean<WorkflowDoc[]>();
  }

  async markSwept(ids: Types.ObjectId[], at: Date): Promise<void> {
    if (ids.length > 0)
      await this.coll.updateMany({ _id: { $in: ids } }, { $set: { sweptAt: at } });
  }
}

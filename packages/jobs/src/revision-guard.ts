import type { Connection, mongo, Types } from 'mongoose';
import { insertManySkippingDuplicates, isDuplicateKey } from './duplicate-keys.js';

/**
 * How long a fence may stay open. The writer that claimed `<jobId>:<rev>` gives up its write
 * when more than half of this has passed (it never writes late), so a guard older than this
 * whose job is still at `rev` belongs to a writer that died between its claim and its write;
 * the next writer repairs it (see JobRepository) instead of waiting forever.
 */
export const FENCE_TTL_MS = 30_000;

interface Guard {
  _id: string;
  job: Types.ObjectId;
  at: Date;
}

/**
 * Fences writes to a document by revision with a unique insert.
 *
 * A conditional `findOneAndUpdate` is atomic on MongoDB but not on every MongoDB-wire server:
 * FerretDB 1.x evaluates the filter and writes the whole document back in separate steps, so
 * two concurrent "queued -> running" updates can both win, and a concurrent lease renewal can
 * write back a stale status. A unique-key insert, however, is atomic on both. So every write
 * to a job first claims `<jobId>:<rev>` here: exactly one writer per revision succeeds, and it
 * then writes the document with `rev + 1` (conditional on `rev` as a second line of defence).
 *
 * Guards are only needed while writers may still hold the old revision; the scheduler's
 * purge deletes ones older than an hour (index on `at`).
 */
export class RevisionGuard {
  private readonly revs: mongo.Collection<Guard>;

  constructor(conn: Connection) {
    this.revs = conn.collection('job_revs') as unknown as mongo.Collection<Guard>;
  }

  async ensureIndexes(): Promise<void> {
    // Purge of old guards: `at < now - 1h`.
    await this.revs.createIndex({ at: 1 });
  }

  /** Claims the write from `rev`; false when another writer already did. */
  async acquire(job: Types.ObjectId, rev: number): Promise<boolean> {
    return this.insert({ _id: `${job.toHexString()}:${rev}`, job, at: new Date() });
  }

  /** Claims many writes at once; returns the job ids (hex) whose claim succeeded. */
  async acquireMany(items: { _id: Types.ObjectId; rev: number }[]): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const now = new Date();
    const failed = await insertManySkippingDuplicates(
      this.revs,
      items.map((i) => ({ _id: `${i._id.toHexString()}:${i.rev}`, job: i._id, at: now })),
    );
    return new Set(items.filter((_, i) => !failed.has(i)).map((i) => i._id.toHexString()));
  }

  /** When the claim of `rev` was taken, or null if nobody holds it. */
  async heldSince(job: Types.ObjectId, rev: number): Promise<Date | null> {
    const g = await this.revs.findOne({ _id: `${job.toHexString()}:${rev}` });
    return g?.at ?? null;
  }

  /** Of `items` (job and revision), the job ids (hex) whose claim was taken before `before`. */
  async claimedBefore(
    items: { _id: Types.ObjectId; rev: number }[],
    before: Date,
  ): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const old = await this.revs
      .find(
        { _id: { $in: items.map((i) => `${i._id.toHexString()}:${i.rev}`) }, at: { $lt: before } },
        { projection: { job: 1 } },
      )
      .toArray();
    return new Set(old.map((g) => g.job.toHexString()));
  }

  /**
   * Claims the repair of an abandoned claim of `rev`: one repairer per revision and TTL
   * window wins (a repairer that dies in turn is replaced in the next window).
   */
  async acquireRepair(job: Types.ObjectId, rev: number, now = Date.now()): Promise<boolean> {
    const window = Math.floor(now / FENCE_TTL_MS);
    return this.insert({
      _id: `${job.toHexString()}:${rev}:repair:${window}`,
      job,
      at: new Date(now),
    });
  }

  /** Deletes guards older than `before`. */
  async purge(before: Date): Promise<number> {
    const res = await this.revs.deleteMany({ at: { $lt: before } });
    return res.deletedCount;
  }

  private async insert(g: Guard): Promise<boolean> {
    try {
      await this.revs.insertOne(g);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}

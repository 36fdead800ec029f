import type { Connection, mongo, Types } from 'mongoose';
import { insertManySkippingDuplicates, isDuplicateKey } from './duplicate-keys.js';

/**
 * Fences writes to a document by revision with a unique insert.
 *
 * A conditional `findOneAndUpdate` is atomic on MongoDB but not on every MongoDB-wire server:
 * FerretDB 1.x evaluates the filter and writes the whole document back in separate steps, so
 * two concurrent "queued -> running" updates can both win, and a concurrent lease renewal can
 * write back a stale status. A unique-key insert, however, is atomic on both. So every write
 * to a job first claims `<jobId>:<rev>` here: exactly one writer per revision succeeds, and it
 * then writes the document with `rev + 1`.
 *
 * Guards are only needed while writers may still hold the old revision; the scheduler purges
 * ones older than an hour (index on `at`).
 */
export class RevisionGuard {
  private readonly revs: mongo.Collection<{ _id: string; job: Types.ObjectId; at: Date }>;

  constructor(conn: Connection) {
    this.revs = conn.collection('job_revs') as unknown as mongo.Collection<{
      _id: string;
      job: Types.ObjectId;
      at: Date;
    }>;
  }

  async ensureIndexes(): Promise<void> {
    // Purge of old guards: `at < now - 1h`.
    await this.revs.createIndex({ at: 1 });
  }

  /** Claims the write from `rev`; false when another writer already did. */
  async acquire(job: Types.ObjectId, rev: number): Promise<boolean> {
    try {
      await this.revs.insertOne({ _id: `${job.toHexString()}:${rev}`, job, at: new Date() });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
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

  /** Deletes guards older than `before`. */
  async purge(before: Date): Promise<number> {
    const res = await this.revs.deleteMany({ at: { $lt: before } });
    return res.deletedCount;
  }
}

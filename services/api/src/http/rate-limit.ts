import type { Collection, Connection } from 'mongoose';
import { ProblemError } from './problem.js';

/** Where the limiter counts: one counter per key, shared by every API replica. */
export interface WindowCounter {
  /** Adds `n` (may be negative) to `key`'s counter and answers the new total. */
  add(key: string, n: number, expiresAt: Date): Promise<number>;
}

const WINDOW_MS = 60_000;

/**
 * Per-owner submission limit: at most `perMinute` jobs per owner per clock minute, counted
 * in a store all API replicas share (MongoDB, {@link MongoWindowCounter}), so N replicas
 * allow the limit once, not N times. A fixed window: an owner may burst up to twice the
 * limit across a minute boundary, never more.
 */
export class SubmissionLimiter {
  /** `perMinute` (0 = off). `now` is injectable for tests. */
  constructor(
    private readonly perMinute: number,
    private readonly counter: WindowCounter = new MemoryWindowCounter(),
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `count` submissions for `owner` or throws a 429 problem with `Retry-After`. */
  async take(owner: string, count = 1): Promise<void> {
    if (this.perMinute === 0) return;
    const now = this.now();
    const window = Math.floor(now / WINDOW_MS);
    const windowEnd = (window + 1) * WINDOW_MS;
    const retryAfter = Math.max(1, Math.ceil((windowEnd - now) / 1000));
    // n.b. more than a whole minute allows can never pass: say so with a full minute
    if (count > this.perMinute) throw this.tooMany(60);
    const key = `${window}:${owner}`;
    const expiresAt = new Date(windowEnd + WINDOW_MS);
    const total = await this.counter.add(key, count, expiresAt);
    if (total > this.perMinute) {
      // n.b. give back what was not granted, so refused requests do not eat the next ones' share
      await this.counter.add(key, -count, expiresAt);
      throw this.tooMany(retryAfter);
    }
  }

  private tooMany(retryAfter: number): ProblemError {
    return new ProblemError(
      429,
      'Too Many Requests',
      `at most ${this.perMinute} job submissions per minute; retry in ${retryAfter} s`,
      undefined,
      { 'Retry-After': String(retryAfter) },
    );
  }
}

/** Counters in this process only (tests, and a limit that is off). */
export class MemoryWindowCounter implements WindowCounter {
  private readonly counts = new Map<string, { n: number; expiresAt: number }>();

  add(key: string, n: number, expiresAt: Date): Promise<number> {
    // n.b. windows that ended before this one are dropped (time comes from the limiter's clock)
    for (const [k, v] of this.counts)
      if (v.expiresAt < expiresAt.getTime() - WINDOW_MS) this.counts.delete(k);
    const total = (this.counts.get(key)?.n ?? 0) + n;
    this.counts.set(key, { n: total, expiresAt: expiresAt.getTime() });
    return Promise.resolve(total);
  }
}

interface CounterDoc {
  _id: string;
  n: number;
  expiresAt: Date;
}

/**
 * Counters in the `rate_limits` collection: one atomic `$inc` upsert by `_id` per take (the
 * local MongoDB-wire server serves `_id` filters from its index). Old windows expire by a
 * TTL index where the server has TTL deletion, and are swept here now and then where not.
 */
export class MongoWindowCounter implements WindowCounter {
  private readonly docs: Collection<CounterDoc>;
  private lastSweep = 0;

  constructor(conn: Connection) {
    this.docs = conn.collection<CounterDoc>('rate_limits');
    // n.b. best effort: a server without TTL deletion is swept below instead
    void this.docs.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }).catch(() => undefined);
  }

  async add(key: string, n: number, expiresAt: Date): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await this.docs.findOneAndUpdate(
          { _id: key },
          { $inc: { n }, $set: { expiresAt } },
          { upsert: true, returnDocument: 'after' },
        );
        void this.sweep();
        return doc?.n ?? n;
      } catch (err) {
        // n.b. two first takes of a window race to insert it: the loser increments the winner's
        if ((err as { code?: unknown }).code !== 11000 || attempt > 2) throw err;
      }
    }
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < WINDOW_MS) return;
    this.lastSweep = now;
    await this.docs.deleteMany({ expiresAt: { $lt: new Date(now) } }).catch(() => undefined);
  }
}

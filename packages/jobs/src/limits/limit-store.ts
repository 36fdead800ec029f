import type { Connection, mongo } from 'mongoose';
import type { JobTypeLimits, RateLimit } from '@conveyor/contracts';
import { COLLECTIONS } from '../collections.js';
import { isDuplicateKey } from '../duplicate-keys.js';

/** An operator's override of a type's limits (collection `job_type_limits`, by type name). */
export interface LimitOverrideDoc {
  _id: string;
  /** Replaces the definition's limits whole; `{}` lifts them all. */
  limits: JobTypeLimits;
  updatedAt: Date;
  /** The admin who set it (`sub`). */
  by: string;
}

/** One job holding a concurrency slot, until its lease would have ended. */
export interface SlotHolder {
  /** `<job id>/<attempt>`: a later attempt of the same job holds its own slot. */
  h: string;
  until: Date;
}

/** The holder name of a job's attempt. */
export const holderOf = (job: string, att: number) => `${job}/${att}`;

/** The running jobs of one concurrency limit (collection `limit_slots`, by limit id). */
export interface SlotDoc {
  _id: string;
  holders: SlotHolder[];
}

/** The recent starts of one rate limit (collection `limit_rates`, by limit id). */
export interface RateDoc {
  _id: string;
  /** The last `limit` starts, oldest first: the sliding window's log. */
  starts: Date[];
  /** When the next job waiting for this limit is due to try (waiters are spaced evenly). */
  wake: Date | null;
  /** Bumped by every write: the compare-and-set fence. */
  v: number;
}

/** The margin a rate limit's window is kept beyond its period: 2 % of it, at most 1 s. */
export const rateGuardMs = (rate: RateLimit) => Math.min(1000, Math.floor(rate.periodMs * 0.02));

/** A rate limit's answer: start now, or try again at `wakeAt` (a turn in the waiting line). */
export type RateAnswer = { ok: true } | { ok: false; wakeAt: Date };

/**
 * A queued job waiting in the store rather than in the broker (collection `job_holds`, by
 * job id): held back by a concurrency limit (`key = limit:<limit id>`) or by fair dispatch
 * (`key = fair:<queue>`, shared out by `fairKey`). The job itself carries the same `holdKey`,
 * which keeps the outbox sweeper off it.
 */
export interface HoldDoc {
  _id: string;
  key: string;
  /** Fair holds: the owner (and payload key) whose turn the job takes. */
  fairKey?: string;
  /** Fair holds: `normal` before `low` within a fair key. */
  rank?: number;
  /** The job's creation: holds of one key are let go oldest first. */
  at: Date;
  /** When the hold was written. */
  heldAt: Date;
}

/**
 * How long a hold entry whose job is queued but not (yet) marked held is kept: the entry is
 * written before the job's mark, so a releaser that sees it first must not drop it.
 */
export const HOLD_GRACE_MS = 30_000;

/** An owner's fair-share weight (collection `owner_weights`, by owner `sub`). */
export interface WeightDoc {
  _id: string;
  /** Turns per round relative to other owners (1 = an even share). */
  weight: number;
  updatedAt: Date;
  by: string;
}

export const limitKey = (limitId: string) => `limit:${limitId}`;
export const fairHoldKey = (queue: string) => `fair:${queue}`;

/** The store side of limits and holds: conditional writes only, safe with any replicas. */
export class LimitStore {
  readonly overrides: mongo.Collection<LimitOverrideDoc>;
  readonly slots: mongo.Collection<SlotDoc>;
  readonly rates: mongo.Collection<RateDoc>;
  readonly holds: mongo.Collection<HoldDoc>;
  readonly weights: mongo.Collection<WeightDoc>;

  constructor(readonly conn: Connection) {
    this.overrides = conn.collection<LimitOverrideDoc>(COLLECTIONS.limitOverrides);
    this.slots = conn.collection<SlotDoc>(COLLECTIONS.limitSlots);
    this.rates = conn.collection<RateDoc>(COLLECTIONS.limitRates);
    this.holds = conn.collection<HoldDoc>(COLLECTIONS.jobHolds);
    this.weights = conn.collection<WeightDoc>(COLLECTIONS.ownerWeights);
  }

  async ensureIndexes(): Promise<void> {
    await this.holds.createIndex({ key: 1, fairKey: 1, rank: -1, at: 1 });
  }

  /**
   * Takes one of `limit` slots of `id` for a job's attempt: true when taken (or already held
   * by this attempt). Holders whose `until` passed (their worker died) are dropped first when
   * the limit looks full, so a killed worker's slot comes back after its lease.
   */
  async acquire(id: string, holder: SlotHolder, limit: number, now = new Date()): Promise<boolean> {
    for (let pass = 0; pass < 2; pass++) {
      try {
        const r = await this.slots.updateOne(
          // n.b. "no element at index limit-1" is "fewer than limit holders", in any store
          {
            _id: id,
            [`holders.${limit - 1}`]: { $exists: false },
            'holders.h': { $ne: holder.h },
          },
          { $push: { holders: holder } },
          { upsert: true },
        );
        if (r.modifiedCount > 0 || r.upsertedCount > 0) return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const doc = await this.slots.findOne({ _id: id });
      if (doc?.holders.some((h) => h.h === holder.h)) return true;
      if (pass === 0 && doc?.holders.some((h) => h.until < now))
        await this.slots.updateOne({ _id: id }, { $pull: { holders: { until: { $lt: now } } } });
      else return false;
    }
    return false;
  }

  /** Gives a job attempt's slot of `id` back. */
  async release(id: string, job: string, att: number): Promise<void> {
    await this.slots.updateOne({ _id: id }, { $pull: { holders: { h: holderOf(job, att) } } });
  }

  /** Extends a holder's `until` (the job's lease was renewed). */
  async renew(id: string, job: string, att: number, until: Date): Promise<void> {
    await this.slots.updateOne(
      { _id: id, 'holders.h': holderOf(job, att) },
      { $set: { 'holders.$.until': until } },
    );
  }

  /** Holders of `id` now, expired ones dropped. */
  async running(id: string, now = new Date()): Promise<number> {
    await this.slots.updateOne({ _id: id }, { $pull: { holders: { until: { $lt: now } } } });
    const doc = await this.slots.findOne({ _id: id });
    return doc?.holders.length ?? 0;
  }

  /**
   * Asks rate limit `id` for a start now. It is granted when fewer than `limit` starts
   * were granted in the last `periodMs` plus {@link rateGuardMs} (a sliding window over the
   * log of grants, so no window ever holds more) and no earlier job is waiting its turn — unless this job is a
   * `waiter` whose turn has come. Otherwise the job gets the next turn in the waiting line,
   * turns spaced `periodMs / limit` apart and never before the window has room. A compare-
   * and-set on `v`; racing callers retry.
   */
  async admitRate(id: string, rate: RateLimit, waiter: boolean): Promise<RateAnswer> {
    const interval = rate.periodMs / rate.limit;
    // n.b. the log holds grant times; a handler starts a moment after its grant, so windows
    // are kept a little longer than the period: starts stay within the limit however unevenly
    // the grants' handlers begin (up to this margin)
    const guard = rateGuardMs(rate);
    for (let tries = 0; ; tries++) {
      const now = new Date();
      const doc = await this.rates.findOne({ _id: id });
      const starts = doc?.starts ?? [];
      const nth = starts.length >= rate.limit ? starts[starts.length - rate.limit]! : null;
      const full = nth !== null && nth.getTime() > now.getTime() - rate.periodMs - guard;
      const queued = !waiter && doc?.wake != null && doc.wake > now;
      try {
        if (!full && !queued) {
          if (!doc) {
            await this.rates.insertOne({ _id: id, starts: [now], wake: null, v: 1 });
            return { ok: true };
          }
          const r = await this.rates.updateOne(
            { _id: id, v: doc.v },
            { $push: { starts: { $each: [now], $slice: -rate.limit } }, $inc: { v: 1 } },
          );
          if (r.modifiedCount > 0) return { ok: true };
        } else {
          const room = nth ? nth.getTime() + rate.periodMs + guard : now.getTime();
          const turn = Math.max(room, doc?.wake?.getTime() ?? 0, now.getTime() + 1);
          const r = await this.rates.updateOne(
            { _id: id, v: doc!.v },
            { $set: { wake: new Date(turn + interval) }, $inc: { v: 1 } },
          );
          if (r.modifiedCount > 0) return { ok: false, wakeAt: new Date(turn) };
        }
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      if (tries > 100) throw new Error(`rate limit ${id}: too much contention`);
    }
  }

  /** Forgets the waiting line of the rate limits whose id starts with `prefix` (the log stays). */
  async resetRateLines(prefix: string): Promise<void> {
    await this.rates.updateMany(
      { _id: { $regex: `^${escapeRegex(prefix)}` } },
      { $set: { wake: null }, $inc: { v: 1 } },
    );
  }

  /** Override of one type, or null. */
  override(type: string): Promise<LimitOverrideDoc | null> {
    return this.overrides.findOne({ _id: type });
  }

  /** Every override, by type. */
  async allOverrides(): Promise<Map<string, LimitOverrideDoc>> {
    const docs = await this.overrides.find({}).toArray();
    return new Map(docs.map((d) => [d._id, d]));
  }

  async setOverride(type: string, limits: JobTypeLimits, by: string): Promise<LimitOverrideDoc> {
    const doc = { _id: type, limits, updatedAt: new Date(), by };
    await this.overrides.replaceOne({ _id: type }, doc, { upsert: true });
    return doc;
  }

  /** Removes an override (the definition's limits apply again); whether there was one. */
  async clearOverride(type: string): Promise<boolean> {
    return (await this.overrides.deleteOne({ _id: type })).deletedCount > 0;
  }

  /** Every owner's weight that is set. */
  async allWeights(): Promise<Map<string, number>> {
    const docs = await this.weights.find({}).toArray();
    return new Map(docs.map((d) => [d._id, d.weight]));
  }

  /** Sets an owner's weight; 1 removes it (the default). */
  async setWeight(owner: string, weight: number, by: string): Promise<void> {
    if (weight === 1) await this.weights.deleteOne({ _id: owner });
    else
      await this.weights.replaceOne(
        { _id: owner },
        { weight, updatedAt: new Date(), by },
        { upsert: true },
      );
  }

  /**
   * Waiting (held) jobs per hold key: limit holds from job_holds, fair holds from the jobs
   * themselves (a fair-held job carries its hold; see `FairAdmission.plan`).
   */
  async holdCounts(): Promise<Map<string, number>> {
    const [limitRows, fairRows] = await Promise.all([
      this.holds
        .aggregate<{ _id: string; n: number }>([
          { $match: { key: { $gte: 'limit:', $lt: 'limit;' } } },
          { $group: { _id: '$key', n: { $sum: 1 } } },
        ])
        .toArray(),
      fairHoldCounts(this.conn.collection(COLLECTIONS.jobs)),
    ]);
    const counts = new Map(limitRows.map((r) => [r._id, r.n]));
    for (const r of fairRows) counts.set(r.holdKey, (counts.get(r.holdKey) ?? 0) + r.n);
    return counts;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The fair key of held jobs that have none stored (grouped as one key). */
export const NO_FAIR_KEY = '';

/** Fair-held jobs (`holdKey: fair:<queue>`, still queued) per group and fair key. */
export async function fairHoldCounts(
  jobs: mongo.Collection,
): Promise<{ holdKey: string; fairKey: string; n: number }[]> {
  const rows = await jobs
    .aggregate<{ _id: { h: string; f?: string | null }; n: number }>([
      { $match: { holdKey: { $gte: 'fair:', $lt: 'fair;' }, status: 'queued' } },
      { $group: { _id: { h: '$holdKey', f: '$fairKey' }, n: { $sum: 1 } } },
    ])
    .toArray();
  return rows.map((r) => ({ holdKey: r._id.h, fairKey: r._id.f ?? NO_FAIR_KEY, n: r.n }));
}

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

/** The next free start of one rate limit (collection `limit_rates`, by limit id). */
export interface RateDoc {
  _id: string;
  /** When the next start may happen (the "theoretical arrival time" of the next one). */
  next: Date;
}

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
  at: Date;
}

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
   * Reserves the next start of rate limit `id` (starts spaced `periodMs / limit` apart, so no
   * window of `periodMs` holds more than `limit`): the time this start may happen, now or
   * later. A compare-and-set on the stored time; racing reservations retry.
   */
  async reserve(id: string, rate: RateLimit, now = new Date()): Promise<Date> {
    const interval = rate.periodMs / rate.limit;
    for (;;) {
      const doc = await this.rates.findOne({ _id: id });
      const at = doc && doc.next > now ? doc.next : now;
      const next = new Date(at.getTime() + interval);
      try {
        if (!doc) {
          await this.rates.insertOne({ _id: id, next });
          return at;
        }
        const r = await this.rates.updateOne({ _id: id, next: doc.next }, { $set: { next } });
        if (r.modifiedCount > 0) return at;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      now = new Date();
    }
  }

  /** Forgets the reservations of the rate limits whose id starts with `prefix`. */
  async resetRates(prefix: string): Promise<void> {
    await this.rates.deleteMany({ _id: { $regex: `^${escapeRegex(prefix)}` } });
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

  /** Waiting (held) jobs per hold key. */
  async holdCounts(): Promise<Map<string, number>> {
    const rows = await this.holds
      .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$key', n: { $sum: 1 } } }])
      .toArray();
    return new Map(rows.map((r) => [r._id, r.n]));
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

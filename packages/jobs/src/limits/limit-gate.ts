import {
  hasLimits,
  limitsForJob,
  type AppliedLimit,
  type JobTypeLimits,
} from '@conveyor/contracts';
import type { Logger } from '@conveyor/platform';
import { Types } from 'mongoose';
import type { JobDispatcher } from '../dispatch.js';
import type { JobDoc } from '../job.model.js';
import type { JobRepository } from '../job.repository.js';
import {
  HOLD_GRACE_MS,
  holderOf,
  limitKey,
  type LimitOverrideDoc,
  type LimitStore,
} from './limit-store.js';

/** How long a process trusts what it last read of the operators' overrides. */
export const LIMIT_OVERRIDES_CACHE_MS = 1000;

/** Slack added to a slot's `until` beyond the lease, so a renewal in flight never loses it. */
const SLOT_SLACK_MS = 2000;

/**
 * A type's limits in effect: the operator's override when there is one, else its
 * definition's. Overrides are read once per {@link LIMIT_OVERRIDES_CACHE_MS} per process, so
 * a change reaches every worker within about a second without a read per job.
 */
export class LimitSettings {
  private cache: { at: number; overrides: Promise<Map<string, LimitOverrideDoc>> } | null = null;
  private weightCache: { at: number; weights: Promise<Map<string, number>> } | null = null;

  constructor(readonly store: LimitStore) {}

  /** Every override (cached). */
  overrides(): Promise<Map<string, LimitOverrideDoc>> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > LIMIT_OVERRIDES_CACHE_MS) {
      const overrides = this.store.allOverrides().catch((err: unknown) => {
        this.cache = null;
        throw err;
      });
      this.cache = { at: now, overrides };
    }
    return this.cache.overrides;
  }

  /** Owners' fair-share weights (cached like the overrides; 1 when unset). */
  async weights(): Promise<Map<string, number>> {
    const now = Date.now();
    if (!this.weightCache || now - this.weightCache.at > LIMIT_OVERRIDES_CACHE_MS)
      this.weightCache = { at: now, weights: this.store.allWeights() };
    return this.weightCache.weights.catch(() => new Map<string, number>());
  }

  /** Forgets the cache (this process changed an override). */
  invalidate(): void {
    this.cache = null;
    this.weightCache = null;
  }

  /** The limits of `type` in effect, given its definition's. */
  async effective(
    type: string,
    defined: JobTypeLimits | undefined,
  ): Promise<JobTypeLimits | undefined> {
    const o = (await this.overrides()).get(type);
    return o ? o.limits : defined;
  }
}

/** What the gate decided for one delivery, before its claim. */
export type Admission =
  /** Claim it; `slots` are the concurrency slots taken for it (give them back after). */
  | { kind: 'run'; slots: string[] }
  /** A concurrency limit is full: the job waits in the store (attempt unspent). */
  | { kind: 'held'; limit: string }
  /** A rate limit's next start is later: the job is scheduled for it (attempt unspent). */
  | { kind: 'deferred'; at: Date };

/**
 * Applies a type's fleet-wide limits to a delivery before its claim (only for types that
 * have limits: a type without any never reaches here). Concurrency takes a slot in the
 * store for the attempt, given back when it ends, or dropped after its lease when the
 * worker dies; a full limit holds the job in the store until a slot frees. A rate limit
 * logs the start, or defers the job to its turn in the limit's waiting line.
 */
export class LimitGate {
  constructor(
    private readonly store: LimitStore,
    private readonly repo: JobRepository,
    private readonly dispatcher: JobDispatcher,
    private readonly log: Logger,
  ) {}

  async admit(a: {
    jobId: string;
    attempt: number;
    type: string;
    limits: JobTypeLimits;
    leaseMs: number;
  }): Promise<Admission> {
    if (!hasLimits(a.limits)) return { kind: 'run', slots: [] };
    const job = await this.repo.model.collection.findOne<
      Pick<
        JobDoc,
        'owner' | 'payload' | 'status' | 'attempts' | 'rateSlotAt' | 'holdKey' | 'createdAt'
      >
    >(
      { _id: new Types.ObjectId(a.jobId) },
      {
        projection: {
          owner: 1,
          payload: 1,
          status: 1,
          attempts: 1,
          rateSlotAt: 1,
          holdKey: 1,
          createdAt: 1,
        },
      },
    );
    // n.b. not this attempt's to start: the claim refuses it, no limit is touched
    if (!job || job.status !== 'queued' || job.attempts !== a.attempt - 1)
      return { kind: 'run', slots: [] };
    if (job.holdKey?.startsWith('limit:'))
      return this.hold(a, job.holdKey.slice('limit:'.length), job.createdAt);
    if (job.holdKey) return { kind: 'held', limit: job.holdKey };
    let payload: unknown;
    try {
      payload = JSON.parse(job.payload);
    } catch {
      payload = undefined;
    }
    const applied = limitsForJob(a.type, a.limits, job.owner, payload);
    const now = Date.now();
    const rated = applied.filter((l) => l.rate);
    if (rated.length > 0) {
      // n.b. a job deferred for its turn is a waiter once the turn has come
      const waiter = job.rateSlotAt != null && job.rateSlotAt.getTime() <= now + 50;
      let wakeAt = 0;
      for (const l of rated) {
        const answer = await this.store.admitRate(l.id, l.rate!, waiter);
        if (!answer.ok) wakeAt = Math.max(wakeAt, answer.wakeAt.getTime());
      }
      if (wakeAt > 0) {
        const doc = await this.repo.transition('deferForRate', a.jobId, {
          attempt: a.attempt,
          at: new Date(wakeAt),
        });
        if (doc) return { kind: 'deferred', at: new Date(wakeAt) };
        return { kind: 'run', slots: [] };
      }
    }
    const slots: string[] = [];
    for (const l of applied.filter((x) => x.concurrency !== undefined)) {
      const ok = await this.store.acquire(
        l.id,
        {
          h: holderOf(a.jobId, a.attempt),
          until: new Date(Date.now() + a.leaseMs + SLOT_SLACK_MS),
        },
        l.concurrency!,
      );
      if (ok) {
        slots.push(l.id);
        continue;
      }
      await this.release(a.jobId, a.attempt, slots, false);
      return this.hold(a, l.id, job.createdAt, l);
    }
    return { kind: 'run', slots };
  }

  /** Holds the job under limit `id` (idempotent), then wakes one if a slot freed meanwhile. */
  private async hold(
    a: { jobId: string; attempt: number },
    id: string,
    createdAt: Date,
    limit?: AppliedLimit,
  ): Promise<Admission> {
    const key = limitKey(id);
    // n.b. the hold entry first: a job marked held always has one to be found by
    await this.store.holds.updateOne(
      { _id: a.jobId },
      { $set: { key, at: createdAt, heldAt: new Date() } },
      { upsert: true },
    );
    const held = await this.repo.transition('holdQueued', a.jobId, {
      attempt: a.attempt,
      holdKey: key,
    });
    if (!held) {
      const still = await this.repo.model.collection.findOne(
        { _id: new Types.ObjectId(a.jobId), status: 'queued', holdKey: key },
        { projection: { _id: 1 } },
      );
      if (!still) {
        await this.store.holds.deleteOne({ _id: a.jobId, key });
        return { kind: 'run', slots: [] };
      }
    }
    // n.b. every slot may have been given back between our failed take and the hold
    if (limit?.concurrency !== undefined) {
      const room = limit.concurrency - (await this.store.running(id));
      if (room > 0) await this.wake(id, room);
    }
    return { kind: 'held', limit: id };
  }

  /** Renews the slots an attempt holds (its lease was renewed). */
  async renew(jobId: string, attempt: number, slots: string[], leaseMs: number): Promise<void> {
    const until = new Date(Date.now() + leaseMs + SLOT_SLACK_MS);
    await Promise.all(slots.map((id) => this.store.renew(id, jobId, attempt, until)));
  }

  /** Gives an attempt's slots back and (by default) lets one held job of each go. */
  async release(jobId: string, attempt: number, slots: string[], wake = true): Promise<void> {
    for (const id of slots) {
      await this.store.release(id, jobId, attempt);
      if (wake) await this.wake(id, 1);
    }
  }

  /**
   * Lets up to `n` jobs held under limit `id` go, oldest first: each is released by one
   * conditional write (exactly one of racing wakers wins it) and dispatched. Returns how many.
   */
  async wake(id: string, n: number): Promise<number> {
    return wakeHeld(this.store, this.repo, this.dispatcher, limitKey(id), n, this.log);
  }
}

/**
 * Of hold entries (job ids `ids` under `key`) whose release did not land, deletes those that
 * are stale: the job is gone, no longer queued, held under another key, or still unmarked
 * after {@link HOLD_GRACE_MS} (its holder died between the entry and the mark). An entry
 * whose job is queued and not yet marked is kept: its mark is on the way.
 */
export async function dropStaleHolds(
  store: LimitStore,
  key: string,
  ids: string[],
  found: Pick<JobDoc, '_id' | 'status' | 'holdKey'>[],
): Promise<void> {
  const jobs = new Map(found.map((j) => [j._id.toHexString(), j]));
  const entries = await store.holds.find({ _id: { $in: ids }, key }).toArray();
  const cutoff = Date.now() - HOLD_GRACE_MS;
  const stale = entries.filter((h) => {
    const job = jobs.get(h._id);
    if (!job || job.status !== 'queued') return true;
    if (job.holdKey === key) return false;
    return job.holdKey != null || h.heldAt.getTime() < cutoff;
  });
  if (stale.length > 0)
    await store.holds.deleteMany({ _id: { $in: stale.map((h) => h._id) }, key });
}

/** Lets up to `n` jobs held under `key` go, in `at` order (see LimitGate.wake). */
export async function wakeHeld(
  store: LimitStore,
  repo: JobRepository,
  dispatcher: JobDispatcher,
  key: string,
  n: number,
  log: Logger,
  filter: Record<string, unknown> = {},
): Promise<number> {
  if (n <= 0) return 0;
  const holds = await store.holds
    .find({ key, ...filter })
    .sort({ rank: -1, at: 1 })
    .limit(n)
    .toArray();
  let woken = 0;
  for (const h of holds) {
    const job = await repo.transition('releaseHold', h._id, { holdKey: key });
    if (!job) {
      const found = await repo.model.collection.findOne({ _id: new Types.ObjectId(h._id) });
      await dropStaleHolds(store, key, [h._id], found ? [found as JobDoc] : []);
      continue;
    }
    await store.holds.deleteOne({ _id: h._id, key });
    woken++;
    // n.b. an unconfirmed dispatch is left to the outbox sweeper (the job is queued, unheld)
    if (!(await dispatcher.dispatch(job)))
      log.warn({ jobId: h._id, key }, 'released job not dispatched; left to the outbox sweeper');
  }
  return woken;
}

import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { laneOf, payloadKeyOf, type Topology } from '@conveyor/contracts';
import type { AmqpClient, Logger } from '@conveyor/platform';
import type { JobTypeCatalogue } from '../catalogue/catalogue.js';
import type { JobDispatcher } from '../dispatch.js';
import type { JobDoc } from '../job.model.js';
import type { JobRepository } from '../job.repository.js';
import { fairHoldKey, type HoldDoc, type LimitStore } from './limit-store.js';
import { dropStaleHolds } from './limit-gate.js';

/**
 * Fair dispatch keeps each worker group's standard lane short — at most about `window`
 * messages ready — and the rest of the backlog in the store, where it can be ordered: a
 * releaser hands it to the broker round robin across owners (and a type's `fairKey` values),
 * weighted, so one owner's burst never puts a second owner's job behind all of it. While a
 * group's lane is shorter than the window, jobs go straight to the broker and pay nothing.
 */
export interface FairOptions {
  /**
   * Ready messages a group's standard lane may hold before new jobs wait in the store;
   * 0 turns fair dispatch off. @default 200
   */
  window?: number;
  /** How often the lane's depth is read back from the broker, in ms. @default 250 */
  refreshMs?: number;
}

export const DEFAULT_FAIR_WINDOW = 200;

/** The fair-share key of a job: its owner, and the type's `fairKey` value when it has one. */
export function fairKeyOf(
  job: Pick<JobDoc, 'owner' | 'payload'>,
  path: string | undefined,
): string {
  if (!path) return job.owner;
  let payload: unknown;
  try {
    payload = JSON.parse(job.payload);
  } catch {
    return job.owner;
  }
  const value = payloadKeyOf(payload, path);
  return value === undefined ? job.owner : `${job.owner}\u0000${value}`;
}

/** The owner part of a fair key (what weights are set on). */
export const ownerOfFairKey = (key: string) => key.split('\u0000')[0]!;

interface Depth {
  ready: number;
  /** Published by this process since `ready` was read. */
  added: number;
  at: number;
  refreshing: Promise<void> | null;
}

/** The submit side of fair dispatch (the API): which new jobs go to the broker now. */
export class FairAdmission {
  readonly window: number;
  private readonly refreshMs: number;
  private readonly depths = new Map<string, Depth>();

  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly store: LimitStore,
    private readonly repo: JobRepository,
    private readonly catalogue: JobTypeCatalogue,
    private readonly log: Logger,
    opts: FairOptions = {},
  ) {
    this.window = opts.window ?? DEFAULT_FAIR_WINDOW;
    this.refreshMs = opts.refreshMs ?? 250;
  }

  /**
   * Of newly queued jobs, those to publish now; the others are held in the store for the
   * releaser (their hold entries written first, so a held job is always found).
   */
  async admit(jobs: JobDoc[]): Promise<JobDoc[]> {
    if (this.window <= 0 || jobs.length === 0) return jobs;
    const types = await this.catalogue.lookup();
    const publish: JobDoc[] = [];
    const byQueue = new Map<string, JobDoc[]>();
    for (const job of jobs) {
      const queue = types(job.type)?.entry.queue;
      if (!queue || laneOf(job.priority) !== 'standard') publish.push(job);
      else byQueue.set(queue, [...(byQueue.get(queue) ?? []), job]);
    }
    const hold = new Map<string, JobDoc[]>();
    for (const [queue, queued] of byQueue) {
      // n.b. one estimate per group and call, counted on synchronously: no refresh lands
      // halfway through a batch
      const depth = await this.depth(queue);
      const room = Math.max(0, this.window - depth.ready - depth.added);
      depth.added += Math.min(room, queued.length);
      publish.push(...queued.slice(0, room));
      if (queued.length > room) hold.set(queue, queued.slice(room));
    }
    for (const [queue, held] of hold) {
      const key = fairHoldKey(queue);
      const docs: HoldDoc[] = held.map((job) => ({
        _id: job._id.toHexString(),
        key,
        fairKey: fairKeyOf(job, types(job.type)?.entry.limits?.fairKey),
        rank: job.priority === 'low' ? 0 : 1,
        at: job.createdAt,
        heldAt: new Date(),
      }));
      try {
        await this.store.holds.insertMany(docs, { ordered: false });
        await this.repo.model.collection.updateMany(
          { _id: { $in: held.map((j) => j._id) }, status: 'queued', holdKey: null },
          { $set: { holdKey: key, publishedAt: null } },
        );
      } catch (err) {
        // n.b. not held: publish them now rather than leave them to the outbox sweeper
        this.log.warn({ err: (err as Error).message, queue }, 'fair hold not written; publishing');
        publish.push(...held);
      }
    }
    return publish;
  }

  private async depth(queue: string): Promise<Depth> {
    let d = this.depths.get(queue);
    if (!d) {
      d = { ready: 0, added: 0, at: 0, refreshing: null };
      this.depths.set(queue, d);
      await this.refresh(queue, d);
    } else if (Date.now() - d.at > this.refreshMs && !d.refreshing) void this.refresh(queue, d);
    return d;
  }

  private refresh(queue: string, d: Depth): Promise<void> {
    // n.b. what this process admitted before the read is in the broker's count (or about to
    // be: a publish in flight is missed for one period, the window is soft)
    const before = d.added;
    d.refreshing = readyMessages(this.amqp, this.topo, queue)
      .then((ready) => {
        d.ready = ready;
        d.added -= before;
      })
      .catch(() => undefined) // n.b. unknown depth: keep the estimate; the publish decides
      .finally(() => {
        d.at = Date.now();
        d.refreshing = null;
      });
    return d.refreshing;
  }
}

/** Ready messages in a group's standard lane. */
export async function readyMessages(
  amqp: AmqpClient,
  topo: Topology,
  queue: string,
): Promise<number> {
  return amqp.withChannel(
    async (ch) => (await ch.checkQueue(topo.queues.work(queue, 'standard'))).messageCount,
  );
}

/** Fair-share weights by owner (collection-backed; 1 when unset). */
export type Weights = (owner: string) => number;

/**
 * The releaser's pass over one group: tops its standard lane up to the window with held
 * jobs, round robin across fair keys from where the last pass stopped, each key's share
 * weighted by its owner's weight; within a key, `normal` before `low`, oldest first. Each
 * job is released by one conditional write, so racing releasers never dispatch one twice.
 * Returns how many it dispatched.
 */
export class FairReleaser {
  /** Per group, the fair key served last: the next pass starts after it. */
  private readonly cursor = new Map<string, string>();
  /** Jobs held for fair dispatch at the last pass (all groups). */
  waiting = 0;

  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly store: LimitStore,
    private readonly repo: JobRepository,
    private readonly dispatcher: JobDispatcher,
    private readonly window: number,
  ) {}

  /** Held jobs per group and fair key. */
  async backlog(): Promise<Map<string, Map<string, number>>> {
    const rows = await this.store.holds
      .aggregate<{ _id: { key: string; fairKey: string }; n: number }>([
        { $match: { fairKey: { $exists: true } } },
        { $group: { _id: { key: '$key', fairKey: '$fairKey' }, n: { $sum: 1 } } },
      ])
      .toArray();
    const out = new Map<string, Map<string, number>>();
    for (const r of rows) {
      if (!r._id.key.startsWith('fair:')) continue;
      const queue = r._id.key.slice('fair:'.length);
      const keys = out.get(queue) ?? new Map<string, number>();
      keys.set(r._id.fairKey, r.n);
      out.set(queue, keys);
    }
    return out;
  }

  async pass(weights: Weights): Promise<number> {
    let released = 0;
    const backlog = await this.backlog();
    this.waiting = [...backlog.values()].reduce(
      (s, keys) => s + [...keys.values()].reduce((a, b) => a + b, 0),
      0,
    );
    for (const [queue, keys] of backlog) {
      const ready = await readyMessages(this.amqp, this.topo, queue).catch(() => this.window);
      const room = this.window - ready;
      if (room <= 0) continue;
      released += await this.release(queue, keys, room, weights);
    }
    return released;
  }

  private async release(
    queue: string,
    keys: Map<string, number>,
    room: number,
    weights: Weights,
  ): Promise<number> {
    const order = [...keys.keys()].sort();
    const last = this.cursor.get(queue);
    const start = last === undefined ? 0 : order.findIndex((k) => k > last);
    const rotated = start <= 0 ? order : [...order.slice(start), ...order.slice(0, start)];
    // n.b. weighted round robin from the cursor: the room goes one turn at a time to the
    // key whose next turn comes first (a key of weight w every 1/w), while it has jobs held;
    // each job's turn is its place in the broker's order
    const share = new Map<string, number>(rotated.map((k) => [k, 0]));
    const turns: { key: string; place: number }[] = [];
    for (let given = 0; given < room; given++) {
      let best: string | undefined;
      let bestPlace = Infinity;
      for (const k of rotated) {
        const n = share.get(k)!;
        if (n >= keys.get(k)!) continue;
        const place = (n + 1) / weights(ownerOfFairKey(k));
        if (place < bestPlace) [best, bestPlace] = [k, place];
      }
      if (best === undefined) break;
      share.set(best, share.get(best)! + 1);
      turns.push({ key: best, place: bestPlace });
    }
    const picked: { id: string; place: number }[] = [];
    const key = fairHoldKey(queue);
    for (const k of rotated) {
      const n = share.get(k)!;
      if (n === 0) continue;
      const holds = await this.store.holds
        .find({ key, fairKey: k })
        .sort({ rank: -1, at: 1 })
        .limit(n)
        .project<{ _id: string }>({ _id: 1 })
        .toArray();
      const places = turns.filter((t) => t.key === k).map((t) => t.place);
      holds.forEach((h, i) => picked.push({ id: h._id, place: places[i]! }));
      this.cursor.set(queue, k);
    }
    if (picked.length === 0) return 0;
    // n.b. stable: equal places keep the rotation's order
    picked.sort((a, b) => a.place - b.place);
    const ids = picked.map((p) => p.id);
    const token = randomUUID();
    const oids = ids.map((id) => new Types.ObjectId(id));
    await this.repo.model.collection.updateMany(
      { _id: { $in: oids }, status: 'queued', holdKey: key },
      { $set: { holdKey: null, publishedAt: null, writeToken: token } },
    );
    const found = (await this.repo.model.collection
      .find({ _id: { $in: oids } })
      .toArray()) as JobDoc[];
    const jobs = found.filter((j) => j.writeToken === token);
    await this.store.holds.deleteMany({ _id: { $in: jobs.map((j) => j._id.toHexString()) }, key });
    await dropStaleHolds(this.store, key, ids, found);
    if (jobs.length === 0) return 0;
    // n.b. in hold order: the broker keeps it
    const rank = new Map(ids.map((id, i) => [id, i]));
    jobs.sort((a, b) => rank.get(a._id.toHexString())! - rank.get(b._id.toHexString())!);
    const confirmed = await this.dispatcher.publishMany(jobs);
    await this.dispatcher.markConfirmed(jobs, confirmed);
    return confirmed.size;
  }
}

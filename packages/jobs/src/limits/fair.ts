import { randomUUID } from 'node:crypto';
import { laneOf, payloadKeyOf, type Lane, type Topology } from '@conveyor/contracts';
import type { AmqpClient } from '@conveyor/platform';
import type { JobTypeCatalogue } from '../catalogue/catalogue.js';
import type { JobDispatcher } from '../dispatch.js';
import type { JobDoc } from '../job.model.js';
import type { JobRepository, NewJob } from '../job.repository.js';
import { fairHoldCounts, fairHoldKey, NO_FAIR_KEY, type LimitStore } from './limit-store.js';

/**
 * Fair dispatch: an owner alone sends its jobs straight to the broker, however many. Once a
 * group's standard lane holds about `window` ready messages and another owner (or a type's
 * `fairKey` value) submits, new jobs wait in the store, where they can be ordered: a releaser
 * hands them to the group's fair lane round robin across keys, weighted, and workers take
 * that lane alongside the standard one — so one owner's burst never puts a second owner's job
 * behind all of it.
 */
export interface FairOptions {
  /**
   * Ready messages a group's standard lane may hold before another key's jobs wait in the
   * store (and the fair lane's depth the releaser keeps); 0 turns fair dispatch off.
   * @default 200
   */
  window?: number;
  /** How often the lane's depth is read back from the broker, in ms. @default 250 */
  refreshMs?: number;
}

export const DEFAULT_FAIR_WINDOW = 200;

/**
 * The fair-share key of a job being created: its owner, and the type's `fairKey` value (a
 * payload path) when it has one.
 */
export function fairKeyOf(owner: string, payload: unknown, path: string | undefined): string {
  if (!path) return owner;
  const value = payloadKeyOf(payload, path);
  return value === undefined ? owner : `${owner}\u0000${value}`;
}

/** The owner part of a fair key (what weights are set on). */
export const ownerOfFairKey = (key: string) => key.split('\u0000')[0]!;

interface Depth {
  ready: number;
  /** Published by this process since `ready` was read. */
  added: number;
  /**
   * The fair key that took the lane past the window while no job was held: while it is the
   * only one submitting, its burst goes straight to the broker (an owner alone pays nothing).
   */
  overKey: string | null;
  /** The fair key of the last job this process published to the lane. */
  lastKey: string | null;
  /** Jobs of this group wait held in the store: new ones queue up behind them. */
  holding: boolean;
  at: number;
  refreshing: Promise<void> | null;
}

/**
 * The submit side of fair dispatch (the API): which new jobs go to the broker now.
 *
 * A group's standard lane takes new jobs while it holds fewer than the window. Past the
 * window, the owner (fair key) that filled it keeps publishing: alone, nobody waits behind
 * it, so fairness costs it nothing. The first job of any other key is held in the store
 * instead, and from then on every new job of the group is held until that backlog is gone.
 * The scheduler's releaser hands held jobs to the group's fair lane in turns across keys;
 * workers consume the fair lane alongside the standard one, so a newcomer's job does not
 * queue behind a burst already in the broker.
 */
export class FairAdmission {
  readonly window: number;
  private readonly refreshMs: number;
  private readonly depths = new Map<string, Depth>();

  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly repo: Pick<JobRepository, 'model'>,
    private readonly catalogue: JobTypeCatalogue,
    opts: FairOptions = {},
  ) {
    this.window = opts.window ?? DEFAULT_FAIR_WINDOW;
    this.refreshMs = opts.refreshMs ?? 250;
  }

  /**
   * Decides, before new jobs are stored, which of them wait in the store: those that get
   * `hold` are stored held (in the same insert: holding costs no write of its own); the
   * others are published after the insert.
   */
  async plan(inputs: NewJob[], now = new Date()): Promise<void> {
    if (this.window <= 0 || inputs.length === 0) return;
    const types = await this.catalogue.lookup();
    const byQueue = new Map<string, NewJob[]>();
    for (const input of inputs) {
      const queue = types(input.type)?.entry.queue;
      // n.b. only jobs queued at once are dispatched now; a future runAt is the promoter's
      if (!queue || laneOf(input.priority) !== 'standard' || input.runAt > now) continue;
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), input]);
    }
    for (const [queue, queued] of byQueue) {
      // n.b. one estimate per group and call, counted on synchronously: no refresh lands
      // halfway through a batch
      const depth = await this.depth(queue);
      const key = fairHoldKey(queue);
      for (const input of queued) {
        const fairKey = fairKeyOf(
          input.owner,
          input.payload,
          types(input.type)?.entry.limits?.fairKey,
        );
        if (!depth.holding) {
          if (depth.ready + depth.added < this.window) {
            depth.added++;
            depth.lastKey = fairKey;
            continue;
          }
          // n.b. past the window, the lane belongs to the key that filled it while that key
          // is the only one this process sees submitting; a process that never published
          // to the lane cannot tell whose burst fills it, so it holds
          if (depth.overKey === null && depth.lastKey === fairKey) depth.overKey = fairKey;
          if (depth.overKey === fairKey) {
            depth.added++;
            continue;
          }
        }
        // n.b. competition (or a backlog already held): wait in the store, in turn
        depth.holding = true;
        input.hold = { key, fairKey, rank: input.priority === 'low' ? 0 : 1 };
      }
    }
  }

  private async depth(queue: string): Promise<Depth> {
    let d = this.depths.get(queue);
    if (!d) {
      d = {
        ready: 0,
        added: 0,
        overKey: null,
        lastKey: null,
        holding: false,
        at: 0,
        refreshing: null,
      };
      this.depths.set(queue, d);
      await this.refresh(queue, d);
    } else if (Date.now() - d.at > this.refreshMs) {
      if (!d.refreshing) void this.refresh(queue, d);
      // n.b. after a quiet spell the estimate says nothing of the lane now (a new burst
      // would be judged by the last one's depth and owner): wait for the read
      if (Date.now() - d.at > this.refreshMs * 4) await d.refreshing;
    }
    return d;
  }

  private refresh(queue: string, d: Depth): Promise<void> {
    // n.b. what this process admitted before the read is in the broker's count (or about to
    // be: a publish in flight is missed for one period, the window is soft)
    const before = d.added;
    d.refreshing = Promise.all([
      readyMessages(this.amqp, this.topo, queue),
      this.repo.model.collection.findOne(
        { holdKey: fairHoldKey(queue), status: 'queued' },
        { projection: { _id: 1 } },
      ),
    ])
      .then(([ready, held]) => {
        d.ready = ready;
        d.added -= before;
        d.holding = held !== null;
        if (ready <= this.window) d.overKey = null;
      })
      .catch(() => undefined) // n.b. unknown depth: keep the estimate; the publish decides
      .finally(() => {
        d.at = Date.now();
        d.refreshing = null;
      });
    return d.refreshing;
  }
}

/** Ready messages in a group's lane (by default its standard lane). */
export async function readyMessages(
  amqp: AmqpClient,
  topo: Topology,
  queue: string,
  lane: Lane = 'standard',
): Promise<number> {
  return amqp.withChannel(
    async (ch) => (await ch.checkQueue(topo.queues.work(queue, lane))).messageCount,
  );
}

/** Fair-share weights by owner (collection-backed; 1 when unset). */
export type Weights = (owner: string) => number;

/**
 * The releaser's pass over one group: tops its fair lane up to the window with held jobs, round robin across fair keys from where the last pass stopped, each key's share
 * weighted by its owner's weight; within a key, `normal` before `low`, oldest first. Jobs
 * are released by one conditional write, so racing releasers never dispatch one twice.
 * Returns how many it dispatched.
 */
export class FairReleaser {
  /** Per group, the fair key served last: the next pass starts after it. */
  private readonly cursor = new Map<string, string>();
  /** Jobs held for fair dispatch at the last pass (all groups). */
  waiting = 0;
  private legacyCleared = false;

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
    const rows = await fairHoldCounts(this.repo.model.collection);
    const out = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const queue = r.holdKey.slice('fair:'.length);
      const keys = out.get(queue) ?? new Map<string, number>();
      keys.set(r.fairKey, (keys.get(r.fairKey) ?? 0) + r.n);
      out.set(queue, keys);
    }
    return out;
  }

  async pass(weights: Weights): Promise<number> {
    if (!this.legacyCleared) {
      // n.b. fair holds used to be entries of job_holds; the job itself carries them now
      await this.store.holds.deleteMany({ key: { $gte: 'fair:', $lt: 'fair;' } });
      this.legacyCleared = true;
    }
    const backlog = await this.backlog();
    this.waiting = [...backlog.values()].reduce(
      (s, keys) => s + [...keys.values()].reduce((a, b) => a + b, 0),
      0,
    );
    let released = 0;
    for (const [queue, keys] of backlog) {
      const ready = await readyMessages(this.amqp, this.topo, queue, 'fair').catch(
        () => this.window,
      );
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
    const picked: { job: JobDoc; place: number }[] = [];
    const key = fairHoldKey(queue);
    const jobs = this.repo.model.collection;
    for (const k of rotated) {
      const n = share.get(k)!;
      if (n === 0) continue;
      const held = (await jobs
        .find({ holdKey: key, fairKey: k === NO_FAIR_KEY ? null : k, status: 'queued' })
        .sort({ holdRank: -1, createdAt: 1 })
        .limit(n)
        .toArray()) as JobDoc[];
      const places = turns.filter((t) => t.key === k).map((t) => t.place);
      held.forEach((job, i) => picked.push({ job, place: places[i]! }));
      this.cursor.set(queue, k);
    }
    if (picked.length === 0) return 0;
    // n.b. stable: equal places keep the rotation's order
    picked.sort((a, b) => a.place - b.place);
    const token = randomUUID();
    const now = new Date();
    const written = await jobs.updateMany(
      { _id: { $in: picked.map((p) => p.job._id) }, status: 'queued', holdKey: key },
      {
        $set: { holdKey: null, publishedAt: null, writeToken: token, updatedAt: now },
        $unset: { fairKey: '', holdRank: '' },
      },
    );
    let released: JobDoc[];
    if (written.modifiedCount === picked.length) {
      // n.b. all landed (the common case): the jobs as read, with the write applied
      released = picked.map(({ job }) => {
        const { fairKey: _fairKey, holdRank: _holdRank, ...rest } = job;
        return { ...rest, holdKey: null, publishedAt: null, writeToken: token, updatedAt: now };
      });
    } else {
      // n.b. another releaser or a cancel won some: only the jobs this write released, in
      // the picked order
      const found = (await jobs
        .find({ _id: { $in: picked.map((p) => p.job._id) }, writeToken: token })
        .toArray()) as JobDoc[];
      const byId = new Map(found.map((j) => [j._id.toHexString(), j]));
      released = picked.flatMap((p) => byId.get(p.job._id.toHexString()) ?? []);
    }
    if (released.length === 0) return 0;
    // n.b. in hold order (the broker keeps it), to the fair lane: not behind the standard
    // lane's backlog
    const confirmed = await this.dispatcher.publishMany(released, 200, 'fair');
    await this.dispatcher.markConfirmed(released, confirmed);
    return confirmed.size;
  }
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Lane } from '@conveyor/contracts';
import { startJobStack, testJob, type JobStack } from '../testing/job-stack.js';
import { cancelJob } from '../use-cases/cancel.js';
import { submitJobs } from '../use-cases/submit.js';
import { FairAdmission, FairReleaser } from './fair.js';
import { LimitStore } from './limit-store.js';

let stack: JobStack;
let store: LimitStore;
beforeAll(async () => {
  stack = await startJobStack('fair');
  store = new LimitStore(stack.conn);
  await store.ensureIndexes();
});
afterAll(async () => stack?.teardown());

/** Jobs held for fair dispatch (in the store, not the broker) matching `filter`. */
const held = (filter: Record<string, unknown>) =>
  stack.repo.model.collection.countDocuments({ ...filter, holdKey: { $regex: '^fair:' } });

/** Takes up to `n` dispatches off a processor lane (as workers would), in order: job ids. */
async function take(n: number, lane: Lane = 'fair'): Promise<string[]> {
  const ids: string[] = [];
  await stack.amqp.withChannel(async (ch) => {
    for (let i = 0; i < n; i++) {
      const msg = await ch.get(stack.topo.queues.work('processor', lane), { noAck: true });
      if (!msg) break;
      ids.push((JSON.parse(msg.content.toString()) as { data: { jobId: string } }).data.jobId);
    }
  });
  return ids;
}

/** An API's admission with a lane window of `window` (the lane's depth read on every call). */
const admission = (window: number) =>
  new FairAdmission(stack.amqp, stack.topo, stack.repo, stack.core.catalogue, {
    window,
    refreshMs: 0,
  });

/** A scheduler's releaser for a lane window of `window`. */
const releaser = (window: number) =>
  new FairReleaser(stack.amqp, stack.topo, store, stack.repo, stack.dispatcher, window);

/** Empties the processor's lanes (what workers would have taken). */
async function clear(): Promise<void> {
  await take(1000, 'standard');
  await take(1000, 'fair');
}

const idsOf = (submitted: { job: { _id: { toHexString(): string } } }[]) =>
  submitted.map((r) => r.job._id.toHexString());

describe('fair dispatch', () => {
  it("sends an owner's burst alone straight to the broker, and a newcomer's job to the fair lane", async () => {
    const window = 10;
    const core = { ...stack.core, fair: admission(window) };
    await clear();
    const a = await submitJobs(
      core,
      Array.from({ length: 60 }, () => testJob({ owner: 'owner-a' })),
    );
    // alone, owner A pays nothing: no job of its burst waits in the store
    expect(await stack.queueDepth('processor')).toBe(60);
    expect(await held({})).toBe(0);
    const [b] = await submitJobs(core, [testJob({ owner: 'owner-b' })]);
    expect(await held({ fairKey: 'owner-b' })).toBe(1);
    // A's later jobs wait their turn too, now that B waits
    const a2 = await submitJobs(core, [
      testJob({ owner: 'owner-a' }),
      testJob({ owner: 'owner-a' }),
    ]);
    expect(await held({ fairKey: 'owner-a' })).toBe(2);

    const r = releaser(window);
    // the held jobs go to the fair lane, which workers take from alongside the standard
    // lane: B's job is not behind A's 60, and keys take turns (B's is among the first two)
    expect(await r.pass(() => 1)).toBe(3);
    const fair = await take(window, 'fair');
    expect(fair.slice(0, 2)).toContain(b!.job._id.toHexString());
    expect(fair.sort()).toEqual([b!.job._id.toHexString(), ...idsOf(a2)].sort());
    const standard = await take(1000, 'standard');
    expect(standard).toEqual(idsOf(a));
    expect(await held({ status: 'queued' })).toBe(0);
  });

  it("releases an owner's normal jobs before its low ones, oldest first", async () => {
    const window = 2;
    const core = { ...stack.core, fair: admission(window) };
    await clear();
    // q fills the lane past the window; p's jobs then wait held, in turn
    await submitJobs(core, [
      testJob({ owner: 'q' }),
      testJob({ owner: 'q' }),
      testJob({ owner: 'q' }),
    ]);
    const low = await submitJobs(core, [testJob({ owner: 'p', priority: 'low' })]);
    const normal = await submitJobs(core, [testJob({ owner: 'p' }), testJob({ owner: 'p' })]);
    expect(await held({ fairKey: 'p' })).toBe(3);
    await clear();
    const r = releaser(window);
    await r.pass(() => 1);
    expect(await take(window)).toEqual(idsOf(normal));
    await r.pass(() => 1);
    expect(await take(window)).toEqual(idsOf(low));
  });

  it('weights an owner: weight 3 gets three turns to one', async () => {
    const window = 8;
    const core = { ...stack.core, fair: admission(window) };
    await clear();
    await submitJobs(
      core,
      Array.from({ length: window + 1 }, () => testJob({ owner: 'filler' })),
    );
    const heavy = await submitJobs(
      core,
      Array.from({ length: 40 }, () => testJob({ owner: 'w3' })),
    );
    const light = await submitJobs(
      core,
      Array.from({ length: 40 }, () => testJob({ owner: 'w1' })),
    );
    expect(await held({ status: 'queued' })).toBe(80);
    await releaser(window).pass((owner) => (owner === 'w3' ? 3 : 1));
    const ids = await take(window);
    expect(ids.filter((id) => idsOf(heavy).includes(id))).toHaveLength(6);
    expect(ids.filter((id) => idsOf(light).includes(id))).toHaveLength(2);
    // the rest, so the next test starts with nothing held
    const r = releaser(1000);
    while ((await r.pass(() => 1)) > 0) await take(1000);
  });

  it('dispatches each held job once with two releasers racing, and never a cancelled one', async () => {
    const window = 6;
    const core = { ...stack.core, fair: admission(window) };
    await clear();
    await submitJobs(
      core,
      Array.from({ length: window + 1 }, () => testJob({ owner: 'race-filler' })),
    );
    const burst = await submitJobs(
      core,
      Array.from({ length: 40 }, (_, i) => testJob({ owner: i % 2 ? 'race-a' : 'race-b' })),
    );
    expect(await held({ status: 'queued' })).toBe(40);
    const cancelled = burst[5]!.job;
    expect((await cancelJob(stack.core, cancelled._id.toHexString())).kind).toBe('cancelled');
    const seen: string[] = [];
    const releasers = [releaser(window), releaser(window)];
    for (let round = 0; round < 40 && (await held({ status: 'queued' })) > 0; round++) {
      await Promise.all(releasers.map((r) => r.pass(() => 1)));
      seen.push(...(await take(1000)));
    }
    const ids = idsOf(burst);
    const dispatched = seen.filter((id) => ids.includes(id));
    expect(new Set(dispatched).size).toBe(dispatched.length);
    expect(dispatched.sort()).toEqual(
      ids.filter((id) => id !== cancelled._id.toHexString()).sort(),
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jobDispatch } from '@conveyor/contracts';
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

/** Takes up to `n` dispatches off the processor lane (as workers would), in order: job ids. */
async function take(n: number): Promise<string[]> {
  const ids: string[] = [];
  await stack.amqp.withChannel(async (ch) => {
    for (let i = 0; i < n; i++) {
      const msg = await ch.get(stack.topo.queues.work('processor', 'standard'), { noAck: true });
      if (!msg) break;
      ids.push((JSON.parse(msg.content.toString()) as { data: { jobId: string } }).data.jobId);
    }
  });
  return ids;
}

describe('fair dispatch', () => {
  it("puts owner B's one job ahead of owner A's backlog, and dispatches every job once", async () => {
    expect(jobDispatch).toBeDefined();
    const window = 10;
    const fair = new FairAdmission(stack.amqp, stack.topo, stack.core.catalogue, {
      window,
      refreshMs: 0,
    });
    const core = { ...stack.core, fair };
    const a = await submitJobs(
      core,
      Array.from({ length: 60 }, () => testJob({ owner: 'owner-a' })),
    );
    // the lane holds the window; the rest of A's burst waits in the store
    expect(await stack.queueDepth('processor')).toBe(window);
    expect(await held({ fairKey: 'owner-a' })).toBe(60 - window);
    const [b] = await submitJobs(core, [testJob({ owner: 'owner-b' })]);
    expect(await held({ fairKey: 'owner-b' })).toBe(1);

    const seen: string[] = await take(window); // workers take what the lane held
    const releaser = new FairReleaser(
      stack.amqp,
      stack.topo,
      store,
      stack.repo,
      stack.dispatcher,
      window,
    );
    expect(await releaser.pass(() => 1)).toBe(window);
    const next = await take(window);
    // B's job is among the first two released: round robin, not behind A's 50
    expect(next.slice(0, 2)).toContain(b!.job._id.toHexString());
    seen.push(...next);
    while ((await releaser.pass(() => 1)) > 0) seen.push(...(await take(window)));
    seen.push(...(await take(window)));
    const all = [...a.map((r) => r.job._id.toHexString()), b!.job._id.toHexString()];
    expect(seen.sort()).toEqual(all.sort());
    expect(await held({})).toBe(0);
  });

  it("releases an owner's normal jobs before its low ones, oldest first", async () => {
    const window = 2;
    const fair = new FairAdmission(stack.amqp, stack.topo, stack.core.catalogue, {
      window,
      refreshMs: 0,
    });
    const core = { ...stack.core, fair };
    await take(1000);
    await submitJobs(core, [testJob({ owner: 'p' }), testJob({ owner: 'p' })]);
    const low = await submitJobs(core, [testJob({ owner: 'p', priority: 'low' })]);
    const normal = await submitJobs(core, [testJob({ owner: 'p' }), testJob({ owner: 'p' })]);
    await take(window);
    const releaser = new FairReleaser(
      stack.amqp,
      stack.topo,
      store,
      stack.repo,
      stack.dispatcher,
      window,
    );
    await releaser.pass(() => 1);
    expect(await take(window)).toEqual(normal.map((r) => r.job._id.toHexString()));
    await releaser.pass(() => 1);
    expect(await take(window)).toEqual([low[0]!.job._id.toHexString()]);
  });

  it('weights an owner: weight 3 gets three turns to one', async () => {
    const window = 8;
    const fair = new FairAdmission(stack.amqp, stack.topo, stack.core.catalogue, {
      window: 0 + window,
      refreshMs: 0,
    });
    const core = { ...stack.core, fair };
    await take(1000);
    await submitJobs(
      core,
      Array.from({ length: window }, () => testJob({ owner: 'filler' })),
    );
    const heavy = await submitJobs(
      core,
      Array.from({ length: 40 }, () => testJob({ owner: 'w3' })),
    );
    const light = await submitJobs(
      core,
      Array.from({ length: 40 }, () => testJob({ owner: 'w1' })),
    );
    expect(await held({})).toBe(80);
    await take(window);
    const releaser = new FairReleaser(
      stack.amqp,
      stack.topo,
      store,
      stack.repo,
      stack.dispatcher,
      window,
    );
    await releaser.pass((owner) => (owner === 'w3' ? 3 : 1));
    const ids = await take(window);
    const heavyIds = new Set(heavy.map((r) => r.job._id.toHexString()));
    const lightIds = new Set(light.map((r) => r.job._id.toHexString()));
    expect(ids.filter((id) => heavyIds.has(id))).toHaveLength(6);
    expect(ids.filter((id) => lightIds.has(id))).toHaveLength(2);
  });

  it('dispatches each held job once with two releasers racing, and never a cancelled one', async () => {
    const window = 6;
    const fair = new FairAdmission(stack.amqp, stack.topo, stack.core.catalogue, {
      window,
      refreshMs: 0,
    });
    const core = { ...stack.core, fair };
    await take(1000);
    await submitJobs(
      core,
      Array.from({ length: window }, () => testJob({ owner: 'race-filler' })),
    );
    const burst = await submitJobs(
      core,
      Array.from({ length: 40 }, (_, i) => testJob({ owner: i % 2 ? 'race-a' : 'race-b' })),
    );
    const cancelled = burst[5]!.job;
    expect((await cancelJob(stack.core, cancelled._id.toHexString())).kind).toBe('cancelled');
    const seen = await take(window);
    const releasers = [1, 2].map(
      () => new FairReleaser(stack.amqp, stack.topo, store, stack.repo, stack.dispatcher, window),
    );
    for (let round = 0; round < 40 && (await held({ status: 'queued' })) > 0; round++) {
      await Promise.all(releasers.map((r) => r.pass(() => 1)));
      seen.push(...(await take(1000)));
    }
    const ids = burst.map((r) => r.job._id.toHexString());
    const dispatched = seen.filter((id) => ids.includes(id));
    expect(new Set(dispatched).size).toBe(dispatched.length);
    expect(dispatched.sort()).toEqual(
      ids.filter((id) => id !== cancelled._id.toHexString()).sort(),
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startJobStack, testJob, type JobStack } from '../testing/job-stack.js';
import { LimitStore } from './limit-store.js';
import { LimitGate } from './limit-gate.js';

let stack: JobStack;
let store: LimitStore;
let gate: LimitGate;
beforeAll(async () => {
  stack = await startJobStack('limits');
  store = new LimitStore(stack.conn);
  await store.ensureIndexes();
  gate = new LimitGate(store, stack.repo, stack.dispatcher, stack.log);
});
afterAll(async () => stack?.teardown());

const later = (ms: number) => new Date(Date.now() + ms);

describe('concurrency slots in the store', () => {
  it('gives out at most `limit` slots, once per attempt, and takes them back', async () => {
    const id = 'type:test.slots';
    const taken = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.acquire(id, { h: `j${i}/1`, until: later(60_000) }, 3),
      ),
    );
    expect(taken.filter(Boolean)).toHaveLength(3);
    // the same attempt asking again is told it holds one, and counts once
    const holder = `j${taken.indexOf(true)}`;
    expect(await store.acquire(id, { h: `${holder}/1`, until: later(60_000) }, 3)).toBe(true);
    expect(await store.running(id)).toBe(3);
    await store.release(id, holder, 1);
    expect(await store.running(id)).toBe(2);
    expect(await store.acquire(id, { h: 'late/1', until: later(60_000) }, 3)).toBe(true);
    expect(await store.acquire(id, { h: 'later/1', until: later(60_000) }, 3)).toBe(false);
  });

  it('frees the slot of a holder whose lease ran out (its worker died)', async () => {
    const id = 'type:test.expiry';
    expect(await store.acquire(id, { h: 'dead/1', until: later(-1) }, 1)).toBe(true);
    expect(await store.acquire(id, { h: 'live/1', until: later(60_000) }, 1)).toBe(true);
    expect(await store.acquire(id, { h: 'next/1', until: later(60_000) }, 1)).toBe(false);
    // a renewed holder is not dropped
    await store.renew(id, 'live', 1, later(120_000));
    const doc = await store.slots.findOne({ _id: id });
    expect(doc?.holders.map((h) => h.h)).toEqual(['live/1']);
    expect(doc!.holders[0]!.until.getTime()).toBeGreaterThan(Date.now() + 60_000);
  });
});

describe('rate limits', () => {
  it('grants `limit` starts per window, then lines the rest up periodMs / limit apart', async () => {
    const id = 'type:test.rate';
    const rate = { limit: 5, periodMs: 60_000 };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => store.admitRate(id, rate, false)),
    );
    expect(answers.filter((a) => a.ok)).toHaveLength(5);
    const turns = answers.flatMap((a) => (a.ok ? [] : [a.wakeAt.getTime()])).sort((a, b) => a - b);
    // n.b. no turn before the window (and its 1 s margin) has room, each 12 s after the last
    const first = (await store.rates.findOne({ _id: id }))!.starts[0]!.getTime();
    expect(turns[0]).toBeGreaterThanOrEqual(first + 61_000);
    for (let i = 1; i < turns.length; i++) expect(turns[i]! - turns[i - 1]!).toBe(12_000);
    // a newcomer queues behind the waiters; a waiter whose turn came is still held to the log
    const late = await store.admitRate(id, rate, false);
    expect(late.ok).toBe(false);
    expect(await store.admitRate(id, rate, true)).toMatchObject({ ok: false });
  });

  it('never lets a window hold more than `limit` starts', async () => {
    const id = 'type:test.window';
    const rate = { limit: 3, periodMs: 400 };
    const starts: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 2000) {
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => store.admitRate(id, rate, true)),
      );
      for (const a of answers) if (a.ok) starts.push(Date.now());
    }
    const log = (await store.rates.findOne({ _id: id }))!.starts.map((d) => d.getTime());
    // every window of 400 ms (+ its 8 ms margin) in the log holds at most 3 starts
    for (let i = 3; i < log.length; i++) expect(log[i]! - log[i - 3]!).toBeGreaterThanOrEqual(408);
    expect(starts.length).toBeGreaterThan(3);
  });
});

describe('the gate before a claim', () => {
  it('holds a job over a full concurrency limit without spending its attempt, and wakes it', async () => {
    const limits = { concurrency: 1 };
    const { job: first } = await stack.repo.create(testJob({ type: 'demo.count' }));
    const { job: second } = await stack.repo.create(testJob({ type: 'demo.count' }));
    const a = await gate.admit({
      jobId: first._id.toHexString(),
      attempt: 1,
      type: 'demo.count',
      limits,
      leaseMs: 30_000,
    });
    expect(a).toEqual({ kind: 'run', slots: ['type:demo.count'] });
    const b = await gate.admit({
      jobId: second._id.toHexString(),
      attempt: 1,
      type: 'demo.count',
      limits,
      leaseMs: 30_000,
    });
    expect(b).toEqual({ kind: 'held', limit: 'type:demo.count' });
    const held = await stack.repo.get(second._id.toHexString());
    expect(held).toMatchObject({ status: 'queued', attempts: 0, holdKey: 'limit:type:demo.count' });
    // the outbox sweeper leaves a held job alone
    await stack.housekeeping.publishUnpublished(-60_000);
    expect(await stack.repo.get(second._id.toHexString())).toMatchObject({
      holdKey: 'limit:type:demo.count',
      publishedAt: null,
    });
    // the first one's slot given back: the held one is released and dispatched
    await gate.release(first._id.toHexString(), 1, ['type:demo.count']);
    const woken = await stack.repo.get(second._id.toHexString());
    expect(woken?.holdKey).toBeNull();
    expect(woken?.publishedAt).not.toBeNull();
    expect(await store.holds.countDocuments({ _id: second._id.toHexString() })).toBe(0);
  });

  it('limits each owner on its own: one owner at its limit does not hold another back', async () => {
    const limits = { perOwner: { concurrency: 1 } };
    const type = 'demo.count';
    const mk = async (owner: string) =>
      (await stack.repo.create(testJob({ type, owner }))).job._id.toHexString();
    const [a1, a2, b1] = [await mk('po-a'), await mk('po-a'), await mk('po-b')];
    const admit = (jobId: string) =>
      gate.admit({ jobId, attempt: 1, type, limits, leaseMs: 30_000 });
    expect(await admit(a1)).toEqual({ kind: 'run', slots: [`owner:${type}:po-a`] });
    expect(await admit(a2)).toEqual({ kind: 'held', limit: `owner:${type}:po-a` });
    expect(await admit(b1)).toEqual({ kind: 'run', slots: [`owner:${type}:po-b`] });
  });

  it('defers a job past a rate limit to its turn, attempt unspent', async () => {
    const limits = { rate: { limit: 1, periodMs: 60_000 } };
    const { job: one } = await stack.repo.create(testJob({ type: 'demo.count', owner: 'rate-o' }));
    const { job: two } = await stack.repo.create(testJob({ type: 'demo.count', owner: 'rate-o' }));
    const type = 'demo.count';
    expect(
      await gate.admit({ jobId: one._id.toHexString(), attempt: 1, type, limits, leaseMs: 1000 }),
    ).toEqual({ kind: 'run', slots: [] });
    const second = await gate.admit({
      jobId: two._id.toHexString(),
      attempt: 1,
      type,
      limits,
      leaseMs: 1000,
    });
    expect(second.kind).toBe('deferred');
    const deferred = await stack.repo.get(two._id.toHexString());
    expect(deferred).toMatchObject({ status: 'scheduled', attempts: 0 });
    expect(deferred!.runAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(deferred!.rateSlotAt!.getTime()).toBe(deferred!.runAt.getTime());
  });
});

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

describe('rate reservations', () => {
  it('spaces starts periodMs / limit apart, however many ask at once', async () => {
    const id = 'type:test.rate';
    const now = new Date();
    const at = await Promise.all(
      Array.from({ length: 10 }, () => store.reserve(id, { limit: 5, periodMs: 1000 }, now)),
    );
    const times = at.map((d) => d.getTime()).sort((a, b) => a - b);
    // n.b. every reservation distinct and 200 ms apart: no window of 1 s holds more than 5
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(200);
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

  it('defers a job past a rate limit to its reserved start, attempt unspent', async () => {
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

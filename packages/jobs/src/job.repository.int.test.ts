import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import { JobRepository, type LifecycleSink, type NewJob } from './job.repository.js';
import { testJob } from './testing/job-stack.js';
import { TransitionBatcher } from './worker/transition-batcher.js';
import { jobFromSnapshot, snapshotOf } from './dispatch-snapshot.js';
import type { JobDoc } from './job.model.js';

let conn: Connection;
let repo: JobRepository;
const emitted: JobDoc[] = [];
const sink: LifecycleSink = { lifecycle: async (j) => emitted.push(j) > 0 };

const job = (over: Partial<NewJob> = {}): NewJob =>
  testJob({ payload: { to: 3, delayMs: 0, 'odd.key': 1, $weird: true }, ...over });

/** The job as a worker rebuilds it from the copy its first dispatch carries (through JSON). */
const fromDispatch = (j: JobDoc): JobDoc =>
  jobFromSnapshot({
    jobId: j._id.toHexString(),
    type: j.type,
    attempt: 1,
    priority: j.priority,
    job: JSON.parse(JSON.stringify(snapshotOf(j))) as unknown,
  })!;

const claim = (id: string, attempt: number, workerId = 'w1', leaseMs = 30_000) =>
  repo.transition('moveToRunning', id, { attempt, workerId, leaseToken: randomUUID(), leaseMs });

beforeAll(async () => {
  const { mongoUrl } = await infra();
  conn = await mongoose.createConnection(mongoUrlForDb(mongoUrl, uniqueName('jobs'))).asPromise();
  repo = new JobRepository(conn, sink);
  await repo.ensureIndexes();
});

afterAll(async () => {
  await conn.dropDatabase();
  await conn.close();
});

describe('JobRepository against the MongoDB-wire server', () => {
  it('creates the indexes the queries need, including the unique dedupe key', async () => {
    const indexes = await repo.model.collection.indexes();
    const byKey = indexes.map((i) => JSON.stringify(i.key));
    expect(byKey).toContain(JSON.stringify({ dedupeKey: 1 }));
    expect(
      indexes.find((i) => JSON.stringify(i.key) === JSON.stringify({ dedupeKey: 1 }))?.unique,
    ).toBe(true);
    expect(byKey).toContain(JSON.stringify({ status: 1, runAt: 1 }));
    expect(byKey).toContain(JSON.stringify({ status: 1, leaseUntil: 1 }));
  });

  it('round-trips a job whose payload has keys the store cannot hold as field names', async () => {
    const { job: created } = await repo.create(job());
    const got = await repo.get(created._id.toHexString(), 'alice');
    expect(got?.status).toBe('queued');
    expect(JSON.parse(got!.payload)).toEqual({ to: 3, delayMs: 0, 'odd.key': 1, $weird: true });
    expect(await repo.get(created._id.toHexString(), 'mallory')).toBeNull();
  });

  it('returns the first job for a repeated idempotency key, per owner', async () => {
    const a = await repo.create(job({ idempotencyKey: 'k1' }));
    const b = await repo.create(job({ idempotencyKey: 'k1' }));
    const c = await repo.create(job({ idempotencyKey: 'k1', owner: 'bob' }));
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.job._id.equals(a.job._id)).toBe(true);
    expect(c.created).toBe(true);
    const many = await repo.createMany([
      job({ idempotencyKey: 'k1' }),
      job({ idempotencyKey: 'k2' }),
    ]);
    expect(many.map((m) => m.created)).toEqual([false, true]);
  });

  it('publishes the lifecycle event of every emitting transition, and of creation', async () => {
    emitted.length = 0;
    const { job: j } = await repo.create(job());
    const running = await claim(j._id.toHexString(), 1);
    await repo.transition('renewLease', j._id, { leaseToken: running!.leaseToken!, leaseMs: 1000 });
    await repo.transition('moveToSucceeded', j._id, {
      leaseToken: running!.leaseToken!,
      result: { counted: 3 },
    });
    expect(emitted.map((e) => [e._id.toHexString(), e.status, e.attempts])).toEqual([
      [j._id.toHexString(), 'queued', 0],
      [j._id.toHexString(), 'running', 1],
      [j._id.toHexString(), 'succeeded', 1],
    ]);
  });

  it('fences claims by attempt and completions by lease token', async () => {
    const { job: j } = await repo.create(job());
    const id = j._id.toHexString();
    expect(await claim(id, 2)).toBeNull(); // wrong attempt
    const first = await claim(id, 1);
    expect(first?.status).toBe('running');
    expect(await claim(id, 1, 'w2')).toBeNull(); // duplicate delivery
    // The lease expires and the reaper hands the job to another attempt.
    const reaped = await repo.transition('expireLease', j._id, {
      leaseToken: first!.leaseToken!,
      cancelRequested: false,
      to: 'queued',
      workerId: 'w1',
    });
    expect(reaped).toMatchObject({ status: 'queued', error: { code: 'LEASE_EXPIRED' } });
    const second = await claim(id, 2, 'w2');
    expect(second?.attempts).toBe(2);
    // The first worker's late completion and progress are rejected by the lease token.
    const late = { leaseToken: first!.leaseToken!, result: { counted: 3 } };
    expect(await repo.transition('moveToSucceeded', j._id, late)).toBeNull();
    expect(
      await repo.transition('recordProgress', j._id, {
        leaseToken: first!.leaseToken!,
        progress: { percent: 50 },
      }),
    ).toBeNull();
    const done = await repo.transition('moveToSucceeded', j._id, {
      leaseToken: second!.leaseToken!,
      result: { counted: 3 },
    });
    expect(done?.status).toBe('succeeded');
    expect(JSON.parse(done!.result!)).toEqual({ counted: 3 });
  });

  it('lets exactly one of 8 concurrent claims of the same attempt win, 20 rounds in a row', async () => {
    let winners = 0;
    for (let round = 0; round < 20; round++) {
      const { job: j } = await repo.create(job());
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => claim(j._id.toHexString(), 1, `w${i}`)),
      );
      winners += results.filter((r) => r !== null).length;
    }
    expect(winners).toBe(20);
  });

  it('promotes each due job exactly once across three concurrent promoters', async () => {
    const due = await repo.createMany(
      Array.from({ length: 300 }, () => job({ runAt: new Date(Date.now() + 50) })),
    );
    await new Promise((r) => setTimeout(r, 100));
    const now = new Date();
    const passes = await Promise.all(
      [1, 2, 3].map(() => repo.promoteDue(now, 1000, async () => undefined, 50)),
    );
    const ids = passes.flatMap((p) => p.promoted.map((d) => d._id.toHexString()));
    const mine = new Set(due.map((d) => d.job._id.toHexString()));
    const promotedOfMine = ids.filter((id) => mine.has(id));
    expect(promotedOfMine).toHaveLength(300);
    expect(new Set(promotedOfMine).size).toBe(300);
    for (const p of passes) for (const d of p.promoted) expect(d.status).toBe('queued');
  });

  it('does not claim a scheduled job, nor promote it before its time', async () => {
    const { job: j } = await repo.create(job({ runAt: new Date(Date.now() + 60_000) }));
    expect(j.status).toBe('scheduled');
    expect(await claim(j._id.toHexString(), 1)).toBeNull();
    const { promoted } = await repo.promoteDue(new Date(), 1000, async () => undefined);
    expect(promoted.map((d) => d._id.toHexString())).not.toContain(j._id.toHexString());
  });

  it('retries a failed attempt to scheduled, and a failed job with a fresh budget', async () => {
    const { job: j } = await repo.create(job({ maxAttempts: 1 }));
    const running = await claim(j._id.toHexString(), 1);
    const failed = await repo.transition('moveToFailed', j._id, {
      leaseToken: running!.leaseToken!,
      error: { code: 'X', message: 'x', retryable: false },
    });
    expect(failed).toMatchObject({ status: 'failed', finishedAt: expect.any(Date) });
    const again = await repo.transition('retryFinished', j._id, {
      attempts: 1,
      attemptBudget: 1,
    });
    expect(again).toMatchObject({ status: 'queued', maxAttempts: 2, error: null });
    // A stale dispatch of attempt 1 cannot claim it; the dispatch of attempt 2 can.
    expect(await claim(j._id.toHexString(), 1)).toBeNull();
    const second = await claim(j._id.toHexString(), 2);
    const retry = await repo.transition('moveToRetry', j._id, {
      leaseToken: second!.leaseToken!,
      error: { code: 'T', message: 't', retryable: true },
      retryAt: new Date(Date.now() + 60_000),
    });
    expect(retry).toMatchObject({ status: 'scheduled', leaseToken: null });
  });

  it('cancels waiting jobs at once and flags running ones', async () => {
    const { job: q } = await repo.create(job());
    expect(await repo.transition('cancelWaiting', q._id, { owner: 'bob' })).toBeNull();
    const cancelled = await repo.transition('cancelWaiting', q._id, { owner: 'alice' });
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(await claim(q._id.toHexString(), 1)).toBeNull();
    const { job: r } = await repo.create(job());
    await claim(r._id.toHexString(), 1);
    expect(await repo.transition('cancelWaiting', r._id, {})).toBeNull();
    const flagged = await repo.transition('requestCancel', r._id, { owner: 'alice' });
    expect(flagged).toMatchObject({ status: 'running', cancelRequested: true });
  });

  it('deletes only finished jobs', async () => {
    const { job: q } = await repo.create(job());
    expect(await repo.deleteFinished(q._id.toHexString())).toBe(false);
    await repo.transition('cancelWaiting', q._id, {});
    expect((await repo.deleteFinished(q._id.toHexString())) || null).not.toBeNull();
    expect(await repo.get(q._id.toHexString())).toBeNull();
  });
});

describe('batched transitions', () => {
  const args = (attempt: number, workerId: string) => ({
    attempt,
    workerId,
    leaseToken: randomUUID(),
    leaseMs: 30_000,
  });

  it('claim each job once across racing batches, refuse stale attempts and cancelled jobs', async () => {
    const made = await repo.createMany(Array.from({ length: 20 }, () => job()));
    const ids = made.map((m) => m.job._id.toHexString());
    await repo.transition('cancelWaiting', ids[19]!, {});
    emitted.length = 0;
    // three workers claim all twenty at once; worker C sends attempt 2 (a stale dispatch)
    const [a, b, c] = await Promise.all([
      repo.transitionBatch(ids.map((id) => ({ name: 'moveToRunning', id, args: args(1, 'A') }))),
      repo.transitionBatch(ids.map((id) => ({ name: 'moveToRunning', id, args: args(1, 'B') }))),
      repo.transitionBatch(ids.map((id) => ({ name: 'moveToRunning', id, args: args(2, 'C') }))),
    ]);
    expect(c.every((d) => d === null)).toBe(true);
    for (let i = 0; i < 19; i++) {
      const winners = [a[i], b[i]].filter((d) => d !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ status: 'running', attempts: 1 });
    }
    expect([a[19], b[19]]).toEqual([null, null]);
    // one running event per claimed job, none for the refused
    expect(emitted.filter((e) => e.status === 'running')).toHaveLength(19);
    const stored = await repo.model.find({ _id: { $in: ids } }).lean();
    expect(stored.filter((s) => s.status === 'running')).toHaveLength(19);

    // outcomes in one batch, each fenced by its own lease: a stale token changes nothing
    const winners = ids.slice(0, 19).map((id, i) => (a[i] ?? b[i])!);
    emitted.length = 0;
    const outcomes = await repo.transitionBatch([
      ...winners.slice(0, 10).map((w) => ({
        name: 'moveToSucceeded' as const,
        id: w._id.toHexString(),
        args: { leaseToken: w.leaseToken!, result: { ok: 1 } },
      })),
      ...winners.slice(10).map((w) => ({
        name: 'moveToFailed' as const,
        id: w._id.toHexString(),
        args: { leaseToken: 'not-the-lease', error: { code: 'X', message: 'x', retryable: false } },
      })),
    ]);
    expect(outcomes.slice(0, 10).map((d) => d?.status)).toEqual(Array(10).fill('succeeded'));
    expect(outcomes.slice(10)).toEqual(Array(9).fill(null));
    expect(emitted.map((e) => e.status)).toEqual(Array(10).fill('succeeded'));

    // outcomes of jobs their writers know: the same answer whether read back or derived,
    // and a stale lease among them is still refused (the batch then reads back)
    const fresh = await repo.createMany([job(), job(), job()]);
    const held = await Promise.all(fresh.map((f) => claim(f.job._id.toHexString(), 1)));
    const known = (name: 'moveToSucceeded', w: JobDoc, leaseToken = w.leaseToken!) => ({
      name,
      id: w._id.toHexString(),
      args: { leaseToken, result: { n: 1 } },
      known: w,
    });
    const derived = await repo.transitionBatch([known('moveToSucceeded', held[0]!)]);
    const storedAfter = await repo.model.findById(held[0]!._id).lean<JobDoc>();
    expect(derived[0]).toEqual({ ...storedAfter, writeToken: derived[0]!.writeToken });
    const mixed = await repo.transitionBatch([
      known('moveToSucceeded', held[1]!),
      known('moveToSucceeded', held[2]!, 'not-the-lease'),
    ]);
    expect(mixed.map((d) => d?.status ?? null)).toEqual(['succeeded', null]);
    expect((await repo.get(held[2]!._id.toHexString()))!.status).toBe('running');
  });

  it('answer a batch of claims that all landed with each job exactly as stored', async () => {
    // n.b. each answer comes from the batch's read by write token: it is the stored document
    const made = await repo.createMany(Array.from({ length: 12 }, () => job()));
    const ids = made.map((m) => m.job._id.toHexString());
    const claimed = await repo.transitionBatch(
      ids.map((id) => ({ name: 'moveToRunning', id, args: args(1, 'D') })),
    );
    const stored = await repo.model.find({ _id: { $in: ids } }).lean<JobDoc[]>();
    const byId = new Map(stored.map((d) => [d._id.toHexString(), d]));
    for (const [i, doc] of claimed.entries()) {
      expect(doc).toEqual(byId.get(ids[i]!));
      expect(doc).toMatchObject({ status: 'running', attempts: 1, workerId: 'D' });
    }
  });
  it('claim from a dispatch snapshot without a read, answering the job exactly as stored but for its history', async () => {
    const made = await repo.createMany(Array.from({ length: 6 }, () => job()));
    const writes = new TransitionBatcher(repo);
    const claimed = await Promise.all(
      made.map(({ job: j }) => {
        const before = fromDispatch(j);
        return writes.applyTo(
          'moveToRunning',
          before,
          { ...args(1, 'S'), maxAttempts: before.maxAttempts },
          { quiet: true },
        );
      }),
    );
    const ids = made.map((m) => m.job._id);
    const stored = await repo.model.find({ _id: { $in: ids } }).lean<JobDoc[]>();
    const byId = new Map(stored.map((d) => [d._id.toHexString(), d]));
    for (const doc of claimed) {
      const { history, searchKeys: _k, ...rest } = byId.get(doc!._id.toHexString())!;
      expect(doc).toMatchObject({ status: 'running', attempts: 1, workerId: 'S' });
      expect(doc).toEqual({ ...rest, history: [history!.at(-1)] });
    }
  });

  it('refuse a claim from a snapshot whose attempt budget changed since it was taken', async () => {
    const { job: j } = await repo.create(job());
    const before = fromDispatch(j);
    await repo.model.updateOne({ _id: j._id }, { $set: { maxAttempts: j.maxAttempts + 3 } });
    const writes = new TransitionBatcher(repo);
    const claim = { ...args(1, 'S'), maxAttempts: before.maxAttempts };
    expect(await writes.applyTo('moveToRunning', before, claim, { quiet: true })).toBeNull();
    expect((await repo.get(j._id.toHexString()))?.status).toBe('queued');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose, { type Connection } from 'mongoose';
import { infra, mongoUrlForDb, sampleValue, uniqueName } from '@conveyor/testkit';
import { JobRepository, type NewJob } from './job.repository.js';
import { testJob } from './testing/job-stack.js';
import type { JobDoc } from './job.model.js';
import { createLogger, createMetricsRegistry } from '@conveyor/platform';
import { FENCE_TTL_MS } from './revision-guard.js';
import { reportFenceRepairs } from './fence.js';

let conn: Connection;
let repo: JobRepository;

const job = (over: Partial<NewJob> = {}): NewJob =>
  testJob({ payload: { to: 3, delayMs: 0, 'odd.key': 1, $weird: true }, ...over });

beforeAll(async () => {
  const { mongoUrl } = await infra();
  conn = await mongoose.createConnection(mongoUrlForDb(mongoUrl, uniqueName('jobs'))).asPromise();
  repo = new JobRepository(conn);
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

  it('fences claims by attempt and completions by lease token', async () => {
    const { job: j } = await repo.create(job());
    const id = j._id.toHexString();
    expect(await repo.claim(id, 2, 'w1', 30_000)).toBeNull(); // wrong attempt
    const claimed = await repo.claim(id, 1, 'w1', 30_000);
    expect(claimed?.status).toBe('running');
    expect(await repo.claim(id, 1, 'w2', 30_000)).toBeNull(); // duplicate delivery
    // The lease expires and the reaper hands the job to another attempt.
    await repo.model.updateOne(
      { _id: j._id },
      { $set: { leaseUntil: new Date(Date.now() - 1000) } },
    );
    const reaped = await repo.maintenance.reapExpired(new Date(), 10);
    expect(reaped.map((r) => r._id.toHexString())).toContain(id);
    const second = await repo.claim(id, 2, 'w2', 30_000);
    expect(second?.attempts).toBe(2);
    // The first worker's late completion is rejected by the fence.
    expect(await repo.succeed(j._id, claimed!.leaseToken!, { counted: 3 })).toBeNull();
    const done = await repo.succeed(j._id, second!.leaseToken!, { counted: 3 });
    expect(done?.status).toBe('succeeded');
    expect(JSON.parse(done!.result!)).toEqual({ counted: 3 });
  });

  it('lets exactly one of many concurrent claims of the same attempt win', async () => {
    for (let round = 0; round < 5; round++) {
      const { job: j } = await repo.create(job());
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => repo.claim(j._id.toHexString(), 1, `w${i}`, 30_000)),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    }
  });

  it('retries to scheduled, promotes when due exactly once across concurrent promoters', async () => {
    const { job: j } = await repo.create(job());
    const claimed = await repo.claim(j._id.toHexString(), 1, 'w1', 30_000);
    const failed = await repo.fail(
      j._id,
      claimed!.leaseToken!,
      { code: 'X', message: 'x', retryable: true },
      new Date(Date.now() - 1),
    );
    expect(failed?.status).toBe('scheduled');
    const now = new Date();
    const publish = async (jobs: JobDoc[]) => new Set(jobs.map((d) => d._id.toHexString()));
    const [p1, p2] = await Promise.all([
      repo.maintenance.promoteDue(now, 100, publish),
      repo.maintenance.promoteDue(now, 100, publish),
    ]);
    const ids = [...p1.promoted, ...p2.promoted]
      .map((d) => d._id.toHexString())
      .filter((x) => x === j._id.toHexString());
    expect(ids).toHaveLength(1);
    expect((await repo.get(j._id.toHexString()))?.status).toBe('queued');
  });

  it('repairs a fence abandoned by a writer that died between its claim and its write', async () => {
    const { job: j } = await repo.create(job());
    const id = j._id.toHexString();
    // A writer claims rev 0 and dies before writing: nobody else can move the job.
    expect(await repo.guard.acquire(j._id, 0)).toBe(true);
    await expect(repo.claim(id, 1, 'w1', 30_000)).rejects.toThrow(/written too often/);
    // Within the TTL the claim is presumed alive: no repair.
    expect(await repo.fence.repairAbandoned(j._id, 0)).toBe(false);
    expect((await repo.get(id))?.rev).toBe(0);
    // Past the TTL exactly one of two concurrent repairers moves it to rev 1, unchanged (both
    // answer that the job may have moved on).
    const later = Date.now() + FENCE_TTL_MS + 1;
    const registry = createMetricsRegistry('test');
    reportFenceRepairs(repo.fence, registry, createLogger('test', 'silent'));
    const moved = await Promise.all([
      repo.fence.repairAbandoned(j._id, 0, later),
      repo.fence.repairAbandoned(j._id, 0, later),
    ]);
    repo.fence.onRepair = undefined;
    expect(sampleValue(await registry.metrics(), 'conveyor_job_fence_repairs_total')).toBe(1);
    expect(moved).toContain(true);
    const after = await repo.get(id);
    expect(after).toMatchObject({ rev: 1, status: 'queued', attempts: 0 });
    // The job is writable again and the next claim wins.
    expect((await repo.claim(id, 1, 'w1', 30_000))?.status).toBe('running');
  });

  it('claims a due scheduled job once its promoter wrote queued, waiting on the fence meanwhile', async () => {
    const { job: j } = await repo.create(job({ runAt: new Date(Date.now() + 150) }));
    await new Promise((r) => setTimeout(r, 200));
    const id = j._id.toHexString();
    let claimedWhile: string | undefined;
    const promotion = repo.maintenance.promoteDue(new Date(), 10, async (jobs) => {
      // The dispatch is out before the promotion write: a worker's claim waits on the fence.
      const claim = repo.claim(id, 1, 'w1', 30_000);
      await new Promise((r) => setTimeout(r, 100));
      claimedWhile = (await repo.get(id))?.status;
      void claim.then((c) => (claimed = c));
      return new Set(jobs.map((d) => d._id.toHexString()));
    });
    let claimed: JobDoc | null = null;
    const { promoted } = await promotion;
    expect(promoted.map((d) => d._id.toHexString())).toContain(id);
    expect(claimedWhile).toBe('scheduled');
    await new Promise((r) => setTimeout(r, 1000));
    expect(claimed).toMatchObject({ status: 'running', attempts: 1 });
    const stored = await repo.get(id);
    expect(stored?.status).toBe('running');
    expect(stored?.publishedAt).not.toBeNull();
  });

  it('promotes a due job whose claim a dead promoter abandoned, after repairing it', async () => {
    const { job: j } = await repo.create(job({ runAt: new Date(Date.now() + 50) }));
    await new Promise((r) => setTimeout(r, 100));
    // A promoter claimed rev 0 two minutes ago and died before writing.
    await conn.collection<{ _id: string; job: unknown; at: Date }>('job_revs').insertOne({
      _id: `${j._id.toHexString()}:0`,
      job: j._id,
      at: new Date(Date.now() - 120_000),
    });
    const publish = async (jobs: JobDoc[]) => new Set(jobs.map((d) => d._id.toHexString()));
    const first = await repo.maintenance.promoteDue(new Date(), 10, publish);
    expect(first.promoted.map((d) => d._id.toHexString())).not.toContain(j._id.toHexString());
    expect((await repo.get(j._id.toHexString()))?.rev).toBe(1);
    const second = await repo.maintenance.promoteDue(new Date(), 10, publish);
    expect(second.promoted.map((d) => d._id.toHexString())).toContain(j._id.toHexString());
    expect((await repo.get(j._id.toHexString()))?.status).toBe('queued');
  });

  it('does not claim a scheduled job before its time', async () => {
    const { job: j } = await repo.create(job({ runAt: new Date(Date.now() + 60_000) }));
    expect(await repo.claim(j._id.toHexString(), 1, 'w1', 30_000)).toBeNull();
  });

  it('cancels queued jobs at once and flags running ones', async () => {
    const { job: q } = await repo.create(job());
    const res = await repo.requestCancel(q._id.toHexString(), 'alice');
    expect(res).toMatchObject({ immediate: true, job: { status: 'cancelled' } });
    expect(await repo.claim(q._id.toHexString(), 1, 'w', 1000)).toBeNull();
    const { job: r } = await repo.create(job());
    await repo.claim(r._id.toHexString(), 1, 'w', 30_000);
    const running = await repo.requestCancel(r._id.toHexString(), 'alice');
    expect(running).toMatchObject({
      immediate: false,
      job: { status: 'running', cancelRequested: true },
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import mongoose, { type Connection, type Types } from 'mongoose';
import { infra, mongoUrlForDb, uniqueName, waitFor } from '@conveyor/testkit';
import { EVENT_LEDGER_RESWEEP_MS, JobRepository, type LifecycleSink } from './job.repository.js';
import { eventLedgers } from './event-ledger.js';
import { testJob } from './testing/job-stack.js';
import type { JobDoc } from './job.model.js';

// A worker's outcomes keep their final events owed in event ledgers instead of a mark per job:
// the ledger is stored before the writes that name it, deleted once their events are confirmed,
// kept when one is refused, and an abandoned one is swept by the event sweep.

let conn: Connection;
/** What the sink answers for each event: true = confirmed by the broker. */
let confirm = true;
const emitted: JobDoc[] = [];
const sink: LifecycleSink = {
  lifecycle: async (j) => {
    emitted.push(j);
    return confirm;
  },
};

beforeAll(async () => {
  const { mongoUrl } = await infra();
  conn = await mongoose.createConnection(mongoUrlForDb(mongoUrl, uniqueName('ledger'))).asPromise();
});

afterAll(async () => {
  await conn.dropDatabase();
  await conn.close();
});

/** A worker's repository with a ledger window of `windowMs`. */
async function worker(windowMs = 200): Promise<JobRepository> {
  const repo = new JobRepository(conn, sink, { eventLedger: { by: 'test', windowMs } });
  await repo.ensureIndexes();
  return repo;
}

/** Claims `n` new jobs and finishes them in one batch; the jobs after the outcome write. */
async function finishBatch(repo: JobRepository, n: number): Promise<JobDoc[]> {
  const created = await repo.createMany(Array.from({ length: n }, () => testJob()));
  const tokens = created.map(() => randomUUID());
  const claimed = await repo.transitionBatch(
    created.map((c, i) => ({
      name: 'moveToRunning' as const,
      id: c.job._id.toHexString(),
      args: { attempt: 1, workerId: 'w', leaseToken: tokens[i]!, leaseMs: 30_000 },
      quiet: true,
    })),
  );
  const done = await repo.transitionBatch(
    claimed.map((job, i) => ({
      name: 'moveToSucceeded' as const,
      id: job!._id.toHexString(),
      args: { leaseToken: tokens[i]!, result: { ok: true } },
      known: job!,
    })),
  );
  return done.map((d) => d!);
}

/** Backdates a ledger's first sweep past EVENT_LEDGER_RESWEEP_MS: its second look is due. */
const ageFirstSweep = (ledgerId: Types.ObjectId) =>
  eventLedgers(conn).updateOne(
    { _id: ledgerId },
    { $set: { sweptAt: new Date(Date.now() - EVENT_LEDGER_RESWEEP_MS - 1000) } },
  );

const stored = (repo: JobRepository, ids: JobDoc[]) =>
  repo.model
    .find({ _id: { $in: ids.map((j) => j._id) } })
    .lean<JobDoc[]>()
    .exec();

describe('event ledgers', () => {
  it('name one stored ledger in each final write, and delete it once every event is confirmed', async () => {
    confirm = true;
    const repo = await worker();
    const before = emitted.length;
    const done = await finishBatch(repo, 20);
    const docs = await stored(repo, done);
    const ledgerIds = new Set(docs.map((d) => d.eventLedger?.toHexString()));
    expect(ledgerIds.size).toBe(1);
    expect([...ledgerIds][0]).toBeDefined();
    // n.b. no per-job mark: the ledger stands in for it
    for (const d of docs) {
      expect(d.status).toBe('succeeded');
      expect(d.eventPendingAt ?? null).toBeNull();
    }
    const ledgerId = docs[0]!.eventLedger!;
    expect(await eventLedgers(conn).countDocuments({ _id: ledgerId })).toBe(1);
    await waitFor(async () => (await eventLedgers(conn).countDocuments({ _id: ledgerId })) === 0, {
      timeoutMs: 10_000,
      what: 'the settled ledger to be deleted after its window',
    });
    expect(emitted.slice(before).filter((j) => j.status === 'succeeded')).toHaveLength(20);
    // nothing for the sweep to publish again
    expect(await repo.publishPendingFinalEvents(new Date(Date.now() + 1000))).toBe(0);
  });

  it('keep a ledger whose event was refused, and the sweep publishes its jobs again', async () => {
    confirm = false;
    const repo = await worker();
    const done = await finishBatch(repo, 5);
    const ledgerId = (await stored(repo, done))[0]!.eventLedger!;
    await repo.eventLedger!.flush();
    expect(await eventLedgers(conn).countDocuments({ _id: ledgerId })).toBe(1);

    confirm = true;
    const before = emitted.length;
    // a sweep reader with no ledger of its own (the scheduler)
    const sweeper = new JobRepository(conn, sink);
    const sent = await sweeper.publishPendingFinalEvents(new Date(Date.now() + 1000));
    expect(sent).toBeGreaterThanOrEqual(5);
    const republished = emitted.slice(before).map((j) => j._id.toHexString());
    for (const j of done) expect(republished).toContain(j._id.toHexString());
    // swept once: kept for one more look, not published again before then
    const after = await eventLedgers(conn).findOne({ _id: ledgerId });
    expect(after?.sweptAt).toBeInstanceOf(Date);
    expect(after?.swept).toBe(5);
    const again = emitted.length;
    await sweeper.publishPendingFinalEvents(new Date(Date.now() + 1000));
    expect(emitted.length).toBe(again);
  });

  it('sweep an abandoned ledger twice: a write that landed after the first sweep is published by the second', async () => {
    confirm = true;
    const repo = await worker(60_000);
    const done = await finishBatch(repo, 3);
    const ledgerId = (await stored(repo, done))[0]!.eventLedger!;
    // the worker dies here: its window is never closed, its ledger never deleted
    const sweeper = new JobRepository(conn, sink);
    const first = emitted.length;
    await sweeper.publishPendingFinalEvents(new Date(Date.now() + 1000));
    expect(emitted.length - first).toBeGreaterThanOrEqual(3);

    // an outcome still on its way when the worker died lands after the first sweep
    const late = await conn.collection('jobs').insertOne({
      ...(await conn.collection('jobs').findOne({ _id: done[0]!._id }, { projection: { _id: 0 } })),
      dedupeKey: `late-${randomUUID()}`,
      eventLedger: ledgerId,
    });
    // the second look, once EVENT_LEDGER_RESWEEP_MS has passed since the first
    await ageFirstSweep(ledgerId);
    const second = emitted.length;
    await sweeper.publishPendingFinalEvents(new Date(Date.now() + 1000));
    const ids = emitted.slice(second).map((j) => j._id.toHexString());
    expect(ids).toContain(late.insertedId.toHexString());
    expect(await eventLedgers(conn).countDocuments({ _id: ledgerId })).toBe(0);
  });

  it('delete an abandoned ledger at the second look without publishing again when nothing landed late', async () => {
    confirm = true;
    const repo = await worker(60_000);
    const done = await finishBatch(repo, 2);
    const ledgerId = (await stored(repo, done))[0]!.eventLedger!;
    const sweeper = new JobRepository(conn, sink);
    await sweeper.publishPendingFinalEvents(new Date(Date.now() + 1000));
    await ageFirstSweep(ledgerId);
    const before = emitted.length;
    await sweeper.publishPendingFinalEvents(new Date(Date.now() + 1000));
    expect(emitted.length).toBe(before);
    expect(await eventLedgers(conn).countDocuments({ _id: ledgerId })).toBe(0);
  });

  it('leave no ledger behind for a refused write (nothing owed)', async () => {
    confirm = true;
    const repo = await worker();
    const created = await repo.create(testJob());
    // a completion with a stale lease token is refused: no final state, nothing owed
    const [refused] = await repo.transitionBatch([
      {
        name: 'moveToSucceeded',
        id: created.job._id.toHexString(),
        args: { leaseToken: 'not-the-lease', result: null },
      },
    ]);
    expect(refused).toBeNull();
    await repo.eventLedger!.flush();
    const open = await eventLedgers(conn).countDocuments({
      by: 'test',
      sweptAt: { $exists: false },
    });
    expect(open).toBe(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Consumer } from '@conveyor/platform';
import { eventLedgers, type JobDoc, type NewJob } from '@conveyor/jobs';
import { startJobStack, type JobStack } from '@conveyor/jobs/testing';
import { startService, waitFor, type ServiceProcess } from '@conveyor/testkit';

// Every job's final lifecycle event reaches the events exchange even when workers are killed
// between their outcome write and its publish: the write names the worker's event ledger of
// the moment (stored before it), the ledger is deleted once its events are confirmed, and the
// scheduler's event sweep (run here directly, as the scheduler's outbox loop runs it)
// publishes the events of the jobs under a ledger still stored. Delivery is at least once: a
// worker killed after its publish but before its ledger was deleted has its events published
// again; consumers de-duplicate by job id and status.

const KILLS = 10;
/** Jobs submitted before the first kill and again before each: the load never runs out. */
const WAVE = 200;
const JOBS = WAVE * (KILLS + 1);

let stack: JobStack;
let env: Record<string, string>;
let tap: Consumer;
const procs = new Set<ServiceProcess>();
/** jobId -> final events seen on the events exchange. */
const finals = new Map<string, number>();

async function processor(): Promise<ServiceProcess> {
  const p = await startService('processor', env);
  procs.add(p);
  return p;
}

const demo = (): NewJob => ({
  type: 'demo.count',
  payload: { to: 0 },
  priority: 'normal',
  owner: 'final-events',
  maxAttempts: 10,
  timeoutMs: 60_000,
  runAt: new Date(),
});

beforeAll(async () => {
  stack = await startJobStack('final-events');
  env = { ...stack.env, LEASE_MS: '2000', CONCURRENCY: '8', SHUTDOWN_GRACE_MS: '2000' };
  const exchange = stack.topo.exchanges.events;
  tap = await stack.amqp.consume(
    {
      prefetch: 500,
      declare: async (ch) => {
        const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
        for (const status of ['succeeded', 'failed', 'cancelled'])
          await ch.bindQueue(queue, exchange, `job.${status}.#`);
        return queue;
      },
    },
    (delivery) => {
      const { data } = JSON.parse(delivery.message.content.toString('utf8')) as {
        data: { jobId: string };
      };
      finals.set(data.jobId, (finals.get(data.jobId) ?? 0) + 1);
      delivery.ack();
    },
  );
});

afterAll(async () => {
  await Promise.all([...procs].map((p) => p.stop('SIGKILL')));
  await tap?.close();
  await stack.teardown();
});

describe('final lifecycle events', () => {
  it(`arrive for every job while workers are killed with kill -9 (${KILLS} kills, ${JOBS} jobs)`, async () => {
    const workers = [await processor(), await processor()];
    const jobs: JobDoc[] = [];
    const submitWave = async () => {
      const wave = (await stack.repo.createMany(Array.from({ length: WAVE }, demo))).map(
        (s) => s.job,
      );
      expect(await stack.dispatcher.dispatchMany(wave)).toBe(WAVE);
      jobs.push(...wave);
    };
    await submitWave();
    const unfinished = () =>
      stack.repo.model.countDocuments({ owner: 'final-events', status: { $ne: 'succeeded' } });

    // The scheduler's part, in this process: reap expired leases (killed workers' jobs).
    let reaping = true;
    const reaper = (async () => {
      while (reaping) {
        await stack.housekeeping.expireLeases();
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    // kill -9 a worker (alternately) while jobs run, start a fresh one, submit more.
    let kills = 0;
    while (kills < KILLS) {
      await submitWave();
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 200)));
      const victim = workers[kills % 2]!;
      await victim.stop('SIGKILL');
      procs.delete(victim);
      kills++;
      workers[(kills - 1) % 2] = await processor();
    }
    await waitFor(async () => (await unfinished()) === 0, {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: 'every job succeeded',
    });
    reaping = false;
    await reaper;

    // Events the workers published are in the tap by now (or were never published at all).
    const seenBefore = () => jobs.filter((j) => finals.has(j._id.toHexString())).length;
    let settled = -1;
    await waitFor(
      async () => {
        const now = seenBefore();
        const same = now === settled;
        settled = now;
        return same;
      },
      { timeoutMs: 30_000, intervalMs: 1500, what: 'the tap to go quiet' },
    );
    const lostByWorkers = JOBS - seenBefore();
    // n.b. owed: under a ledger still stored (a killed worker's), or marked one by one
    const ledgers = (await eventLedgers(stack.conn).find({}).toArray()).map((l) => l._id);
    const owed = await stack.repo.model.countDocuments({
      owner: 'final-events',
      $or: [{ eventPendingAt: { $ne: null } }, { eventLedger: { $in: ledgers } }],
    });
    // n.b. the workers kept their events owed in ledgers, not one mark per job
    expect(
      await stack.repo.model.countDocuments({ owner: 'final-events', eventLedger: { $ne: null } }),
    ).toBe(JOBS);

    // The event sweep: what the store says is still owed goes out again.
    await waitFor(
      async () => {
        await stack.housekeeping.publishPendingFinalEvents(1000);
        return seenBefore() === JOBS;
      },
      { timeoutMs: 30_000, intervalMs: 1000, what: "every job's final event on the tap" },
    );
    const events = [...finals.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(
      `final events: ${kills} kills, ${JOBS} jobs succeeded; before the sweep ${lostByWorkers} ` +
        `final events missing and ${owed} jobs owed (${ledgers.length} ledgers left by killed ` +
        `workers); after it ${events} final events ` +
        `(${events - JOBS} duplicates)\n`,
    );
    for (const j of jobs) expect(finals.get(j._id.toHexString()) ?? 0).toBeGreaterThanOrEqual(1);
    // The sweep cleared what it published: nothing is owed any more (a swept ledger is kept
    // for one more look, EVENT_LEDGER_RESWEEP_MS later; nothing unswept is left).
    await waitFor(
      async () =>
        (await stack.repo.model.countDocuments({
          owner: 'final-events',
          eventPendingAt: { $ne: null },
        })) === 0 &&
        (await eventLedgers(stack.conn).countDocuments({ sweptAt: { $exists: false } })) === 0,
      { timeoutMs: 10_000, what: 'no final event owed' },
    );
    // No job ran to completion twice: one success per job, its result stored once.
    const done = await stack.repo.model
      .find({ owner: 'final-events' }, { status: 1, result: 1, history: 1 })
      .lean<JobDoc[]>();
    for (const d of done) {
      expect(d.status).toBe('succeeded');
      expect(d.history!.filter((h) => h.status === 'succeeded')).toHaveLength(1);
    }
  }, 300_000);
});

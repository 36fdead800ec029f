/**
 * Promotion benchmark: N jobs due at the same moment, R scheduler replicas already running.
 * Prints the time from the due moment until every job is queued with its dispatch confirmed,
 * and checks the work queue holds exactly one message per job.
 *
 *   node services/scheduler/dist/bench/promotion.js [N=10000] [replicas=3]
 *
 * Needs the local servers (`pnpm infra:up`; reads .infra/env values from the environment).
 */
import { testJob } from '@conveyor/jobs/testing';
import { waitFor } from '@conveyor/testkit';
import { startHarness } from '../test-harness.js';

const N = Number(process.argv[2] ?? 10_000);
const REPLICAS = Number(process.argv[3] ?? 3);

const h = await startHarness('bench-promotion');
try {
  for (let i = 0; i < REPLICAS; i++) h.spawnScheduler();
  // n.b. a probe proves every replica's promoter runs before anything is timed
  const probe = await h.jobs.create(
    testJob({ type: 'email.send', runAt: new Date(Date.now() + 100) }),
  );
  await waitFor(async () => (await h.jobs.get(probe.job._id.toHexString()))?.status === 'queued', {
    timeoutMs: 60_000,
    what: 'schedulers to start',
  });
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = Date.now();
  const dueAt = new Date(Date.now() + 5000 + N / 2);
  for (let i = 0; i < N; i += 1000)
    await h.jobs.createMany(
      Array.from({ length: Math.min(1000, N - i) }, () => testJob({ runAt: dueAt })),
    );
  const inserted = Date.now() - t0;
  if (Date.now() >= dueAt.getTime()) throw new Error('inserting took longer than the lead time');
  await new Promise((r) => setTimeout(r, dueAt.getTime() - Date.now()));
  await waitFor(
    async () =>
      (await h.jobs.model.countDocuments({ status: 'queued', publishedAt: { $ne: null } })) >= N,
    { timeoutMs: 600_000, intervalMs: 100, what: 'all jobs promoted and published' },
  );
  const promotedMs = Date.now() - dueAt.getTime();
  await new Promise((r) => setTimeout(r, 1000));
  const depth = await h.processorQueueDepth();
  process.stdout.write(
    `promotion: ${N} due jobs, ${REPLICAS} replicas: inserted in ${inserted} ms; ` +
      `all queued and published ${promotedMs} ms after their runAt ` +
      `(${Math.round(N / (promotedMs / 1000))} jobs/s); dispatches in the queue: ${depth}` +
      `${depth === N ? ' (exactly one each)' : ` (EXPECTED ${N})`}\n`,
  );
  process.exitCode = depth === N ? 0 : 1;
} finally {
  await h.teardown();
}

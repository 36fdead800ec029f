import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testJob } from '@conveyor/jobs/testing';
import { waitFor } from '@conveyor/testkit';
import { startHarness, type Harness } from './test-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('sched-load');
});
afterAll(async () => h?.teardown());

/**
 * 2,000 jobs due in the same second, three scheduler replicas racing for them.
 * `SCHEDULER_LOAD_JOBS` changes the size. The assertions are that every job is promoted and
 * dispatched exactly once; the figures printed are not asserted (timing belongs to the
 * benchmark, `node services/scheduler/dist/bench/promotion.js`), and the wait is on progress.
 */
const N = Number(process.env['SCHEDULER_LOAD_JOBS'] ?? 2000);
const CHUNK = 1000;

describe('promoter under load', () => {
  it(`promotes ${N} due jobs across three replicas, dispatching each exactly once`, async () => {
    // Each chunk is due a moment after its insert (a due runAt at insert would queue it at once).
    const t0 = Date.now();
    let runAt = new Date();
    for (let i = 0; i < N; i += CHUNK) {
      runAt = new Date(Date.now() + 1000);
      const jobs = Array.from({ length: Math.min(CHUNK, N - i) }, () => testJob({ runAt }));
      await h.jobs.createMany(jobs);
    }
    const inserted = Date.now();
    expect(await h.jobs.model.countDocuments({ status: 'scheduled' })).toBe(N);
    await new Promise((r) => setTimeout(r, Math.max(0, runAt.getTime() - Date.now())));
    const started = Date.now();
    for (let i = 0; i < 3; i++) h.spawnScheduler();
    let lastReport = Date.now();
    await waitFor(
      async () => {
        const published = await h.jobs.model.countDocuments({
          status: 'queued',
          publishedAt: { $ne: null },
        });
        if (Date.now() - lastReport >= 5000) {
          lastReport = Date.now();
          process.stdout.write(
            `promoter load: after ${Date.now() - started} ms ${published} promoted and published\n`,
          );
        }
        return published === N;
      },
      { timeoutMs: 600_000, intervalMs: 1000, what: 'all jobs promoted and published' },
    );
    process.stdout.write(
      `promoter load: inserted ${N} in ${inserted - t0} ms; 3 replicas (boot included) promoted and published all in ${Date.now() - started} ms\n`,
    );
    // Settle, then the queue must hold exactly one message per job.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await h.processorQueueDepth()).toBe(N);
  }, 660_000);
});

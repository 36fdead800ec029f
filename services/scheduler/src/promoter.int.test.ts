import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NewJob } from '@conveyor/jobs';
import { waitFor } from '@conveyor/testkit';
import { startHarness, type Harness } from './test-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('sched-promoter');
  for (let i = 0; i < 3; i++) h.spawnScheduler();
  // n.b. a probe on the mailer queue proves the replicas' promoters run before timing anything.
  const probe = await h.jobs.create(job({ type: 'email.send', runAt: new Date(Date.now() + 100) }));
  await waitFor(async () => (await h.jobs.get(probe.job._id.toHexString()))?.status === 'queued', {
    timeoutMs: 30_000,
    what: 'schedulers to start',
  });
}, 60_000);
afterAll(async () => h?.teardown());

function job(over: Partial<NewJob> = {}): NewJob {
  return {
    type: 'demo.count',
    payload: { to: 1 },
    priority: 'normal',
    owner: 'alice',
    maxAttempts: 3,
    timeoutMs: 10_000,
    runAt: new Date(),
    ...over,
  };
}

describe('promoter', () => {
  it('queues a delayed job within a second of its runAt', async () => {
    const runAt = new Date(Date.now() + 2000);
    const { job: created } = await h.jobs.create(job({ runAt }));
    expect(created.status).toBe('scheduled');
    const queued = await waitFor(
      async () => {
        const j = await h.jobs.get(created._id.toHexString());
        return j?.status === 'queued' && j.publishedAt ? j : null;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the delayed job to be queued' },
    );
    const lag = queued.queuedAt!.getTime() - runAt.getTime();
    process.stdout.write(`promoter: delayed job queued ${lag} ms after runAt\n`);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(1000);
    await waitFor(async () => (await h.processorQueueDepth()) === 1, { what: 'its dispatch' });
  });
});

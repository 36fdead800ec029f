import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testJob as job } from '@conveyor/jobs/testing';
import { freePort, metricValue, waitFor } from '@conveyor/testkit';
import { startHarness, type Harness } from './test-harness.js';

let h: Harness;
const metricsPorts: number[] = [];
beforeAll(async () => {
  h = await startHarness('sched-promoter');
  for (let i = 0; i < 3; i++) {
    metricsPorts.push(await freePort());
    h.spawnScheduler({ METRICS_PORT: String(metricsPorts[i]) });
  }
  // n.b. a probe on the mailer queue proves the replicas' promoters run before timing anything.
  const probe = await h.jobs.create(job({ type: 'email.send', runAt: new Date(Date.now() + 100) }));
  await waitFor(async () => (await h.jobs.get(probe.job._id.toHexString()))?.status === 'queued', {
    timeoutMs: 30_000,
    what: 'schedulers to start',
  });
}, 60_000);
afterAll(async () => h?.teardown());

describe('promoter', () => {
  it('queues a delayed job once its runAt has come, and records the lag', async () => {
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
    const lagMs = queued.queuedAt!.getTime() - runAt.getTime();
    process.stdout.write(`promoter: delayed job queued ${lagMs} ms after runAt\n`);
    // n.b. never early; how late is the machine's speed, measured, not asserted
    expect(lagMs).toBeGreaterThanOrEqual(0);
    await waitFor(async () => (await h.processorQueueDepth()) === 1, { what: 'its dispatch' });

    // The lag histogram saw both promotions (the probe and this job).
    const sum = async (name: string, labels: Record<string, string> = {}) => {
      let total = 0;
      for (const port of metricsPorts) total += await metricValue(port, name, labels);
      return total;
    };
    const lag = 'conveyor_scheduler_promotion_lag_seconds';
    expect(await sum(`${lag}_count`)).toBe(2);
    expect(await sum(`${lag}_bucket`, { le: '+Inf' })).toBe(2);
  });
});

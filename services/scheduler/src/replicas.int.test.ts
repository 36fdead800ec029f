import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@conveyor/testkit';
import { startHarness, stopGracefully, type Harness } from './test-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('sched-replicas');
});
afterAll(async () => h?.teardown());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('three scheduler replicas', () => {
  it('fire an every-second schedule once per fire time, also when one is killed halfway', async () => {
    const s = await h.schedules.create({
      owner: 'alice',
      ownerEmail: null,
      name: 'every second',
      cron: '* * * * * *',
      timezone: 'UTC',
      enabled: true,
      jobTemplate: {
        type: 'demo.count',
        payload: JSON.stringify({ to: 1 }),
        priority: 'normal',
        maxAttempts: null,
        timeoutMs: null,
      },
      misfirePolicy: 'skip',
      overlapPolicy: 'allow',
      nextFireAt: new Date(Math.ceil(Date.now() / 1000) * 1000),
    });
    const id = s._id.toHexString();
    const replicas = [h.spawnScheduler(), h.spawnScheduler(), h.spawnScheduler()];
    await waitFor(async () => (await h.jobs.model.countDocuments({ scheduleId: id })) > 0, {
      timeoutMs: 20_000,
      what: 'first fire',
    });
    // 20 seconds of fires, one replica killed halfway.
    const started = Date.now();
    await sleep(10_000);
    replicas[0]!.kill('SIGKILL');
    await sleep(21_500 - (Date.now() - started));
    await Promise.all(replicas.slice(1).map(stopGracefully));

    const jobs = await h.jobs.model.find({ scheduleId: id }, { idempotencyKey: 1 }).lean();
    const fireTimes = jobs
      .map((j) => Date.parse(j.idempotencyKey!.slice(`schedule:${id}:`.length)))
      .sort((a, b) => a - b);
    const distinct = new Set(fireTimes);
    const span = (fireTimes.at(-1)! - fireTimes[0]!) / 1000 + 1;
    process.stdout.write(`replicas: ${jobs.length} jobs for ${span} consecutive fire times\n`);
    expect(distinct.size).toBe(jobs.length);
    // The 20 seconds from the first fire on: 20 ± 1 jobs.
    const inWindow = fireTimes.filter((t) => t < fireTimes[0]! + 20_000);
    expect(Math.abs(inWindow.length - 20)).toBeLessThanOrEqual(1);
    // One job per fire time: no gaps (the killed replica's work was picked up) and no duplicates.
    expect(Math.abs(jobs.length - span)).toBeLessThanOrEqual(1);
    expect(await h.processorQueueDepth()).toBe(jobs.length);
  }, 60_000);
});

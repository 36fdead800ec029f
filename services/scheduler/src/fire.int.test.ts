import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ScheduleFirer, type NewSchedule } from '@conveyor/jobs';
import { startHarness, type Harness } from './test-harness.js';

let h: Harness;
let firer: ScheduleFirer;

beforeAll(async () => {
  h = await startHarness('sched-fire');
  firer = new ScheduleFirer(h.schedules, h.core, h.log, { toleranceMs: 5000 });
});
afterAll(async () => h?.teardown());

const t = (iso: string) => new Date(`2026-01-01T00:${iso}Z`);
const schedule = (over: Partial<NewSchedule>): NewSchedule => ({
  owner: 'alice',
  ownerEmail: 'alice@example.com',
  name: 'every minute',
  cron: '* * * * *',
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
  nextFireAt: t('01:00'),
  ...over,
});
const jobsOf = async (id: string) =>
  h.jobs.model.find({ scheduleId: id }).sort({ runAt: 1 }).lean();

describe('ScheduleFirer with a fixed clock', () => {
  it('misfire skip drops three missed fires; run-once fires the latest of them once', async () => {
    const skip = await h.schedules.create(schedule({ misfirePolicy: 'skip' }));
    const once = await h.schedules.create(schedule({ misfirePolicy: 'run-once' }));
    // Scheduler down for 01:00, 02:00, 03:00; it comes back at 03:30.
    const r = await firer.fireDue(t('03:30'));
    expect(r.misfires).toBe(3 + 2);
    expect(await jobsOf(skip._id.toHexString())).toHaveLength(0);
    const onceJobs = await jobsOf(once._id.toHexString());
    expect(onceJobs.map((j) => j.idempotencyKey)).toEqual([
      `schedule:${once._id.toHexString()}:${t('03:00').toISOString()}`,
    ]);
    expect(onceJobs[0]!.owner).toBe('alice');
    expect((await h.schedules.get(skip._id.toHexString()))?.nextFireAt).toEqual(t('04:00'));
    expect((await h.schedules.get(once._id.toHexString()))?.lastJobId).toBe(
      onceJobs[0]!._id.toHexString(),
    );
    // Back on time: both fire at 04:00 (2 s late is within tolerance).
    await firer.fireDue(t('04:02'));
    expect(await jobsOf(skip._id.toHexString())).toHaveLength(1);
    expect(await jobsOf(once._id.toHexString())).toHaveLength(2);
    await h.schedules.delete(skip._id.toHexString());
    await h.schedules.delete(once._id.toHexString());
  });

  it('overlap skip fires nothing while the previous job is active, and fires again once it finished', async () => {
    const s = await h.schedules.create(schedule({ overlapPolicy: 'skip', nextFireAt: t('10:00') }));
    const id = s._id.toHexString();
    expect((await firer.fireDue(t('10:00'))).fired).toBe(1);
    const second = await firer.fireDue(t('11:00'));
    expect(second).toMatchObject({ fired: 0, overlapsSkipped: 1 });
    expect(await jobsOf(id)).toHaveLength(1);
    await h.jobs.model.updateMany(
      { scheduleId: id },
      { $set: { status: 'succeeded', finishedAt: new Date() } },
    );
    expect((await firer.fireDue(t('12:00'))).fired).toBe(1);
    expect(await jobsOf(id)).toHaveLength(2);
    await h.schedules.delete(id);
  });

  it('two replicas handling the same fire create one job', async () => {
    const s = await h.schedules.create(schedule({ nextFireAt: t('20:00') }));
    const other = new ScheduleFirer(h.schedules, h.core, h.log);
    const [a, b] = await Promise.all([firer.fireDue(t('20:00')), other.fireDue(t('20:00'))]);
    expect(a.fired + b.fired).toBe(1);
    expect(await jobsOf(s._id.toHexString())).toHaveLength(1);
    await h.schedules.delete(s._id.toHexString());
  });
});

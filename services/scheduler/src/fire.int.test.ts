import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ScheduleFirer, type NewSchedule } from '@conveyor/jobs';
import { WorkflowStore } from '@conveyor/jobs/workflows';
import { startHarness, type Harness } from './test-harness.js';

let h: Harness;
let firer: ScheduleFirer;
let workflows: WorkflowStore;

beforeAll(async () => {
  h = await startHarness('sched-fire');
  firer = new ScheduleFirer(h.schedules, h.core, h.log, { toleranceMs: 5000 });
  workflows = new WorkflowStore(h.core.repo.model.db);
  await workflows.ensureIndexes();
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

/** A schedule that submits a two-step chain (demo.count, then demo.count) at each fire. */
const workflowSchedule = (over: Partial<NewSchedule>): NewSchedule =>
  schedule({
    jobTemplate: null,
    workflowTemplate: {
      spec: JSON.stringify({
        name: 'nightly',
        policy: 'fail-fast',
        workflow: {
          chain: [
            { name: 'first', type: 'demo.count', payload: { to: 1 } },
            { name: 'second', type: 'demo.count', payload: { to: 2 } },
          ],
        },
      }),
    },
    ...over,
  });
const workflowsOf = (id: string) =>
  workflows.model.find({ scheduleId: id }).sort({ createdAt: 1 }).lean();

describe('schedules that submit a workflow', () => {
  it('two fire times give two independent workflows, each with its own first job', async () => {
    const s = await h.schedules.create(workflowSchedule({ nextFireAt: t('30:00') }));
    const id = s._id.toHexString();
    expect((await firer.fireDue(t('30:00'))).fired).toBe(1);
    expect((await firer.fireDue(t('31:00'))).fired).toBe(1);
    const runs = await workflowsOf(id);
    expect(runs.map((w) => w.fireKey)).toEqual([
      `schedule:${id}:${t('30:00').toISOString()}`,
      `schedule:${id}:${t('31:00').toISOString()}`,
    ]);
    expect(runs.map((w) => [w.owner, w.name, w.status])).toEqual([
      ['alice', 'nightly', 'running'],
      ['alice', 'nightly', 'running'],
    ]);
    expect(runs[0]!.correlationId).not.toBe(runs[1]!.correlationId);
    // each run started its own first step; the second waits for it
    const jobs = await jobsOf(id);
    expect(jobs).toHaveLength(2);
    expect(new Set(jobs.map((j) => j.idempotencyKey?.split(':')[1]))).toEqual(
      new Set(runs.map((w) => w._id.toHexString())),
    );
    expect((await h.schedules.get(id))?.lastWorkflowId).toBe(runs[1]!._id.toHexString());
    expect((await h.schedules.get(id))?.lastJobId).toBeNull();
    await h.schedules.delete(id);
  });

  it('two replicas handling the same fire create one workflow and one first job', async () => {
    const s = await h.schedules.create(workflowSchedule({ nextFireAt: t('40:00') }));
    const id = s._id.toHexString();
    const others = [1, 2].map(() => new ScheduleFirer(h.schedules, h.core, h.log));
    const results = await Promise.all([firer, ...others].map((f) => f.fireDue(t('40:00'))));
    expect(results.reduce((n, r) => n + r.fired, 0)).toBe(1);
    expect(await workflowsOf(id)).toHaveLength(1);
    expect(await jobsOf(id)).toHaveLength(1);
    await h.schedules.delete(id);
  });

  it('overlap skip waits for the running workflow, not for its jobs', async () => {
    const s = await h.schedules.create(
      workflowSchedule({ overlapPolicy: 'skip', nextFireAt: t('50:00') }),
    );
    const id = s._id.toHexString();
    expect((await firer.fireDue(t('50:00'))).fired).toBe(1);
    // between two steps of a chain no job is active, but the workflow still runs
    await h.jobs.model.updateMany(
      { scheduleId: id },
      { $set: { status: 'succeeded', finishedAt: new Date() } },
    );
    expect(await firer.fireDue(t('51:00'))).toMatchObject({ fired: 0, overlapsSkipped: 1 });
    await workflows.model.updateMany({ scheduleId: id }, { $set: { status: 'succeeded' } });
    expect((await firer.fireDue(t('52:00'))).fired).toBe(1);
    expect(await workflowsOf(id)).toHaveLength(2);
    await h.schedules.delete(id);
  });

  it('a stored workflow that no longer validates stops the schedule instead of failing each pass', async () => {
    const s = await h.schedules.create(
      workflowSchedule({
        nextFireAt: t('55:00'),
        workflowTemplate: {
          spec: JSON.stringify({ workflow: { chain: [{ type: 'no.such.type', payload: {} }] } }),
        },
      }),
    );
    const id = s._id.toHexString();
    expect(await firer.fireDue(t('55:00'))).toMatchObject({ fired: 0, broken: 1 });
    expect((await h.schedules.get(id))?.nextFireAt).toBeNull();
    expect(await workflowsOf(id)).toHaveLength(0);
    await h.schedules.delete(id);
  });
});

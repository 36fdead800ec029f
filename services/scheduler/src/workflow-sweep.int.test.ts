import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  builtinJobTypes,
  definitionLookup,
  parseWorkflow,
  type StepSpec,
} from '@conveyor/contracts';
import { WorkflowEngine } from '@conveyor/jobs/workflows';
import { startHarness, type Harness } from './test-harness.js';

// The sweep alone must carry a workflow to its end when every event about it is lost: no
// reaction consumes lifecycle events here, so only `sweep` can see that a step's job finished.

let h: Harness;
let engine: WorkflowEngine;

beforeAll(async () => {
  h = await startHarness('wf-sweep');
  engine = new WorkflowEngine(h.core, h.log);
  await engine.store.ensureIndexes();
});
afterAll(async () => h?.teardown());

const count = (name: string) => ({ name, type: 'demo.count', payload: { to: 1 } });
function tree(workflow: unknown): StepSpec {
  const parsed = parseWorkflow({ workflow }, definitionLookup(builtinJobTypes()));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.root;
}
const create = (workflow: unknown) =>
  engine.create({
    root: tree(workflow),
    name: null,
    policy: 'fail-fast',
    owner: 'alice',
    ownerEmail: null,
  });
const stepJob = async (wfId: string, name: string) => {
  const wf = await engine.store.get(wfId);
  const step = Object.values(wf!.steps).find((s) => s.name === name);
  return step?.jobId ? h.jobs.get(step.jobId) : null;
};
/** A worker finished the job and its event was lost: the store alone knows. */
const finishSilently = (jobId: string) =>
  h.jobs.model.updateOne(
    { _id: jobId },
    {
      $set: { status: 'succeeded', result: JSON.stringify({ counted: 1 }), finishedAt: new Date() },
    },
  );

describe('workflow sweep without events', () => {
  it('leaves a workflow changed within minAgeMs alone', async () => {
    const wf = await create({ chain: [count('a'), count('b')] });
    await finishSilently((await stepJob(wf._id.toHexString(), 'a'))!._id.toHexString());
    await engine.sweep(60_000);
    expect(await stepJob(wf._id.toHexString(), 'b')).toBeNull();
  });

  it('records finished jobs and advances a chain to its end', async () => {
    const wf = await create({ chain: [count('a'), { group: [count('b1'), count('b2')] }] });
    const id = wf._id.toHexString();
    await finishSilently((await stepJob(id, 'a'))!._id.toHexString());
    expect(await engine.sweep(0)).toBeGreaterThanOrEqual(1);
    const b1 = await stepJob(id, 'b1');
    const b2 = await stepJob(id, 'b2');
    expect([b1?.status, b2?.status]).toEqual(['queued', 'queued']);
    // a second sweep with nothing new changes nothing and creates no duplicate
    await engine.sweep(0);
    expect(
      await h.jobs.model.countDocuments({ idempotencyKey: { $regex: `^workflow:${id}:` } }),
    ).toBe(3);
    for (const j of [b1!, b2!]) await finishSilently(j._id.toHexString());
    await engine.sweep(0);
    const done = await engine.store.get(id);
    expect(done?.status).toBe('succeeded');
    // n.b. composite steps store no state of their own (the resource derives it)
    const jobSteps = Object.values(done!.steps).filter((s) => s.kind === 'job');
    expect(jobSteps.map((s) => [s.name, s.state])).toEqual([
      ['a', 'succeeded'],
      ['b1', 'succeeded'],
      ['b2', 'succeeded'],
    ]);
  });

  it('finishes a cancel that stopped half-way: pending steps skipped, created jobs cancelled', async () => {
    const wf = await create({ chain: [{ group: [count('g1'), count('g2')] }, count('last')] });
    const id = wf._id.toHexString();
    // the cancel's first write landed, then its process died before it settled anything
    await engine.store.update(
      wf._id,
      { status: 'running' },
      {
        $set: {
          status: 'cancelled',
          settling: true,
          finishedAt: new Date(),
          updatedAt: new Date(),
        },
      },
    );
    await engine.sweep(0);
    const after = await engine.store.get(id);
    expect(after?.settling).toBe(false);
    expect((await stepJob(id, 'g1'))?.status).toBe('cancelled');
    expect((await stepJob(id, 'g2'))?.status).toBe('cancelled');
    expect(Object.values(after!.steps).find((s) => s.name === 'last')?.state).toBe('skipped');
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testJob } from '@conveyor/jobs/testing';
import { waitFor } from '@conveyor/testkit';
import { startFinishedJobReaction } from './finished-jobs.js';
import type { TimerLoop } from './loop.js';
import { startHarness, type Harness } from './test-harness.js';

// A plain job's final event costs the reactions nothing: only the jobs that asked for a
// reaction at creation reach its queue.

let h: Harness;
const loops: TimerLoop[] = [];

beforeAll(async () => {
  h = await startHarness('finished');
});
afterAll(async () => {
  for (const l of loops) await l.stop();
  await h.amqp.withChannel(async (ch) => {
    await ch.deleteQueue(h.topo.queues.callbacks);
    await ch.deleteQueue(h.topo.queues.workflows);
  });
  await h.teardown();
});

/** Runs a job to `succeeded` the way a worker does: claim, then the outcome. */
async function finish(id: string): Promise<void> {
  const leaseToken = randomUUID();
  const claimed = await h.jobs.transition('moveToRunning', id, {
    attempt: 1,
    workerId: 'test',
    leaseToken,
    leaseMs: 30_000,
  });
  expect(claimed).not.toBeNull();
  expect(
    await h.jobs.transition('moveToSucceeded', id, { leaseToken, result: null }),
  ).not.toBeNull();
}

describe('final-state reactions', () => {
  it('receive the events of the jobs that asked for them, and no other', async () => {
    const heard: Record<'callback' | 'workflow', string[]> = { callback: [], workflow: [] };
    for (const reaction of ['callback', 'workflow'] as const)
      loops.push(
        await startFinishedJobReaction(
          {
            name: reaction,
            reaction,
            queue: reaction === 'callback' ? h.topo.queues.callbacks : h.topo.queues.workflows,
            onFinished: async (jobId) => {
              heard[reaction].push(jobId);
            },
            sweep: async () => 0,
          },
          { amqp: h.amqp, topology: h.topo, log: h.log, sweepIntervalMs: 60_000 },
        ),
      );
    const make = async (reactions?: ('callback' | 'workflow')[]) =>
      (await h.jobs.create(testJob(reactions ? { reactions } : {}))).job._id.toHexString();
    const plain = [await make(), await make(), await make()];
    const withCallback = await make(['callback']);
    const inWorkflow = await make(['workflow']);
    for (const id of [...plain, withCallback, inWorkflow]) await finish(id);
    await waitFor(() => heard.callback.length >= 1 && heard.workflow.length >= 1, {
      timeoutMs: 20_000,
      what: 'the reactions’ events',
    });
    // n.b. events travel in order on one channel: had a plain job's event been routed here,
    // it would have arrived before the last job's
    expect(heard).toEqual({ callback: [withCallback], workflow: [inWorkflow] });
  });
});

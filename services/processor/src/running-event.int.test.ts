import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Consumer } from '@conveyor/platform';
import type { JobDoc, NewJob } from '@conveyor/jobs';
import { startJobStack, type JobStack } from '@conveyor/jobs/testing';
import { startService, waitFor, type ServiceProcess } from '@conveyor/testkit';

// `job.running.<type>` is published RUNNING_EVENT_DELAY_MS after the claim, and not at all by
// an attempt whose handler has ended by then (its final event follows at once). The delays
// below are far apart from the handlers' run times, so no assertion depends on the machine's
// speed: a no-op handler ends well within 5 s, and a 1.5 s handler outlives a 200 ms timer
// (timers fire in order of expiry).

let stack: JobStack;
let tap: Consumer;
const procs = new Set<ServiceProcess>();
/** jobId -> the statuses of its workers' lifecycle events, in the order they arrived. */
const seen = new Map<string, string[]>();
/** jobId -> the `occurredAt` of its `running` event. */
const runningAt = new Map<string, string>();

const demo = (payload: Record<string, unknown>): NewJob => ({
  type: 'demo.count',
  payload,
  priority: 'normal',
  owner: 'running-event',
  maxAttempts: 1,
  timeoutMs: 60_000,
  runAt: new Date(),
});

async function processor(delayMs: string): Promise<ServiceProcess> {
  const p = await startService('processor', { ...stack.env, RUNNING_EVENT_DELAY_MS: delayMs });
  procs.add(p);
  return p;
}

async function run(payload: Record<string, unknown>): Promise<string[]> {
  return (await runJob(payload)).statuses;
}

async function runJob(
  payload: Record<string, unknown>,
): Promise<{ id: string; statuses: string[] }> {
  const { job } = await stack.repo.create(demo(payload));
  await stack.dispatcher.dispatch(job);
  const id = job._id.toHexString();
  await waitFor(async () => (seen.get(id) ?? []).includes('succeeded'), {
    timeoutMs: 20_000,
    what: `the succeeded event of ${id}`,
  });
  return { id, statuses: seen.get(id)! };
}

async function stopAll(): Promise<void> {
  await Promise.all([...procs].map((p) => p.stop('SIGTERM')));
  procs.clear();
}

beforeAll(async () => {
  stack = await startJobStack('running-event');
  const exchange = stack.topo.exchanges.events;
  tap = await stack.amqp.consume(
    {
      prefetch: 100,
      declare: async (ch) => {
        const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
        await ch.bindQueue(queue, exchange, 'job.#');
        return queue;
      },
    },
    (delivery) => {
      const { data, occurredAt } = JSON.parse(delivery.message.content.toString('utf8')) as {
        data: { jobId: string; status?: string };
        occurredAt: string;
      };
      if (data.status === 'running') runningAt.set(data.jobId, occurredAt);
      // n.b. `queued` comes from this test's own submit, not from the worker
      if (data.status && data.status !== 'queued')
        seen.set(data.jobId, [...(seen.get(data.jobId) ?? []), data.status]);
      delivery.ack();
    },
  );
});

afterEach(stopAll);

afterAll(async () => {
  await Promise.all([...procs].map((p) => p.stop('SIGKILL')));
  await tap?.close();
  await stack.teardown();
});

describe('the running event', () => {
  it('is not published for an attempt that ends within the delay; its final event is', async () => {
    await processor('5000');
    const statuses = await run({ to: 0 });
    expect(statuses).toEqual(['succeeded']);
  });

  it('is published, before the final event, for an attempt that outlives the delay', async () => {
    await processor('200');
    const { id, statuses } = await runJob({ to: 1, delayMs: 1500 });
    expect(statuses).toEqual(['running', 'succeeded']);
    // n.b. published 200 ms after the claim, it still says when the attempt started
    const job = await stack.repo.get(id);
    expect(runningAt.get(id)).toBe(job!.startedAt!.toISOString());
  });

  it('is published at the claim for every attempt with a delay of 0', async () => {
    await processor('0');
    const statuses = await run({ to: 0 });
    expect(statuses).toEqual(['running', 'succeeded']);
  });

  it('leaves the start recorded in the document either way', async () => {
    await processor('5000');
    const { job } = await stack.repo.create(demo({ to: 0 }));
    await stack.dispatcher.dispatch(job);
    await waitFor(
      async () => (await stack.repo.get(job._id.toHexString()))?.status === 'succeeded',
      {
        timeoutMs: 20_000,
        what: 'job succeeded',
      },
    );
    const done = (await stack.repo.get(job._id.toHexString())) as JobDoc;
    expect(done.startedAt).toBeInstanceOf(Date);
    expect(done.history?.map((h) => h.status)).toEqual(['queued', 'running', 'succeeded']);
  });
});

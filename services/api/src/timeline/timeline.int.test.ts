import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { envelope, jobLifecycleEvent, routingKeys, type JobStatus } from '@conveyor/contracts';
import { publishEnvelope } from '@conveyor/platform';
import { waitFor } from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import { TimelineStore } from './timeline.store.js';

// The timeline's feed is a durable queue shared by API replicas: events published while no
// API consumes wait there and are written once one starts again.
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

async function timelineDepth(): Promise<number> {
  const { amqp, topology } = api.deps.runtime;
  return amqp.withChannel(
    async (ch) => (await ch.checkQueue(topology.queues.timeline)).messageCount,
  );
}

describe('timeline store', () => {
  it('keeps the events of a downtime and writes each event once', async () => {
    const { runtime } = api.deps;
    // The API's own consumer stops: from here on, nobody takes timeline events.
    await api.deps.timeline.close();
    const jobId = new Types.ObjectId().toHexString();
    const start = Date.now() - 10_000;
    const steps: [JobStatus, number][] = [
      ['queued', 0],
      ['running', 1],
      ['succeeded', 1],
    ];
    const events = steps.map(([status, attempt], i) => ({
      ...envelope(jobLifecycleEvent, {
        jobId,
        type: 'demo.count',
        owner: 'alice',
        status,
        attempt,
        ...(status === 'queued' ? {} : { workerId: 'processor-test-1' }),
      }),
      occurredAt: new Date(start + i * 1000).toISOString(),
    }));
    // The last one twice: a redelivery after a lost acknowledgement.
    for (const env of [...events, events[2]!])
      await publishEnvelope(
        runtime.amqp,
        jobLifecycleEvent,
        runtime.topology.exchanges.events,
        routingKeys.jobStatus(env.data.status, env.data.type),
        env,
      );
    await waitFor(async () => (await timelineDepth()) === 4, {
      timeoutMs: 15_000,
      what: 'four events waiting in the timeline queue',
    });
    expect(await api.deps.timeline.forJob(jobId)).toEqual([]);

    // n.b. two unacknowledged at a time: the four arrive only if each write is acknowledged
    const later = new TimelineStore(runtime.mongo, runtime.log, { flushMs: 50, prefetch: 2 });
    await later.start(runtime.amqp, runtime.topology);
    try {
      await waitFor(
        async () => (await timelineDepth()) === 0 && (await later.forJob(jobId)).length === 3,
        { timeoutMs: 15_000, what: 'the waiting events written and the queue drained' },
      );
      const stored = await later.forJob(jobId);
      expect(stored.map((e) => [e.status, e.attempt, e.workerId])).toEqual([
        ['queued', 0, null],
        ['running', 1, 'processor-test-1'],
        ['succeeded', 1, 'processor-test-1'],
      ]);
      expect(stored.map((e) => e._id)).toEqual(events.map((e) => e.id));
      expect(later.failures).toBe(0);

      // Through the API as well, owner-scoped like the job itself would be.
      const res = await api.call(
        `/v1/jobs/${jobId}/timeline`,
        await api.token({ sub: 'alice', email: 'alice@example.com' }),
      );
      // n.b. there is no job document for this id: the timeline is only served for a job
      expect(res.status).toBe(404);
    } finally {
      await later.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startJobStack, testJob as job, type JobStack } from './testing/job-stack.js';
import type { Types } from 'mongoose';

let stack: JobStack;
beforeAll(async () => {
  stack = await startJobStack('housekeeping');
});
afterAll(async () => stack?.teardown());

const purgeProcessorQueue = () =>
  stack.amqp.withChannel((ch) => ch.purgeQueue(stack.topo.queues.work('processor', 'standard')));
const age = (id: Types.ObjectId, ms: number) =>
  stack.repo.model.updateOne({ _id: id }, { $set: { publishedAt: new Date(Date.now() - ms) } });

describe('redispatch of queued jobs whose message was lost', () => {
  it('publishes a stale queued job again once, when its service has no message waiting', async () => {
    const { job: lost } = await stack.repo.create(job());
    expect(await stack.dispatcher.dispatch(lost)).toBe(true);
    // The message is gone (dead-lettered, purged), the job still says queued and published.
    await purgeProcessorQueue();
    await age(lost._id, 20 * 60_000);
    expect(await stack.queueDepth('processor')).toBe(0);

    expect(await stack.housekeeping.redispatchStale(10 * 60_000)).toBe(1);
    expect(await stack.queueDepth('processor')).toBe(1);
    const after = await stack.repo.get(lost._id.toHexString());
    expect(after?.status).toBe('queued');
    expect(Date.now() - after!.publishedAt!.getTime()).toBeLessThan(60_000);
    // Marked published now: the next pass leaves it alone.
    expect(await stack.housekeeping.redispatchStale(10 * 60_000)).toBe(0);
    expect(await stack.queueDepth('processor')).toBe(1);
  });

  it('leaves a service with a backlog alone, so a long queue is never duplicated', async () => {
    await purgeProcessorQueue();
    const { job: waiting } = await stack.repo.create(job());
    expect(await stack.dispatcher.dispatch(waiting)).toBe(true);
    await age(waiting._id, 20 * 60_000);
    expect(await stack.housekeeping.redispatchStale(10 * 60_000)).toBe(0);
    expect(await stack.queueDepth('processor')).toBe(1);
  });
});

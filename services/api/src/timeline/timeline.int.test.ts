import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { envelope, jobLifecycleEvent } from '@conveyor/contracts';
import { testJob } from '@conveyor/jobs/testing';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// A job's timeline travels in its own document: each transition's write appends its step, so
// no queue and no write of its own carry it. Jobs stored before that keep their job_events.
let api: TestApi;
let alice: string;

beforeAll(async () => {
  api = await startTestApi();
  alice = await api.token({ sub: 'alice', email: 'alice@example.com' });
});

afterAll(async () => {
  await api?.close();
});

interface Step {
  status: string;
  attempt: number;
  workerId: string | null;
  runAt: string | null;
  error: { code: string } | null;
}

async function timeline(id: string, token = alice): Promise<{ status: number; items: Step[] }> {
  const res = await api.call(`/v1/jobs/${id}/timeline`, token);
  return {
    status: res.status,
    items: res.status === 200 ? ((await res.json()) as { items: Step[] }).items : [],
  };
}

describe('job timelines', () => {
  it('show every step with its attempt and worker: a retry, a release at shutdown, a success', async () => {
    const { repo } = api.deps;
    const { job } = await repo.create(testJob({ owner: 'alice' }));
    const id = job._id.toHexString();
    const claim = async (attempt: number, workerId: string) => {
      const leaseToken = randomUUID();
      expect(
        await repo.transition('moveToRunning', id, {
          attempt,
          workerId,
          leaseToken,
          leaseMs: 30_000,
        }),
      ).not.toBeNull();
      return leaseToken;
    };
    let lease = await claim(1, 'w-1');
    const retryAt = new Date(Date.now() - 1);
    await repo.transition('moveToRetry', id, {
      leaseToken: lease,
      error: { code: 'BOOM', message: 'boom', retryable: true },
      retryAt,
    });
    expect(await repo.promoteDue(new Date(), 10, async () => undefined)).toMatchObject({
      found: 1,
    });
    lease = await claim(2, 'w-2');
    await repo.transition('releaseToQueued', id, { leaseToken: lease, redelivery: 'broker' });
    lease = await claim(2, 'w-3');
    await repo.transition('moveToSucceeded', id, { leaseToken: lease, result: { ok: true } });

    const t = await timeline(id);
    expect(t.status).toBe(200);
    expect(t.items.map((s) => [s.status, s.attempt, s.workerId])).toEqual([
      ['queued', 0, null],
      ['running', 1, 'w-1'],
      ['scheduled', 1, 'w-1'],
      ['queued', 1, 'w-1'],
      ['running', 2, 'w-2'],
      ['queued', 1, 'w-2'],
      ['running', 2, 'w-3'],
      ['succeeded', 2, 'w-3'],
    ]);
    expect(t.items[2]).toMatchObject({ runAt: retryAt.toISOString(), error: { code: 'BOOM' } });
    // owner-scoped like the job
    expect((await timeline(id, await api.token({ sub: 'bob' }))).status).toBe(404);
  });

  it('of a job stored before histories existed come from job_events', async () => {
    const { repo, timeline: legacy } = api.deps;
    const { job } = await repo.create(testJob({ owner: 'alice' }));
    const id = job._id.toHexString();
    await repo.model.updateOne({ _id: job._id }, { $unset: { history: 1 } });
    await legacy.record(
      envelope(jobLifecycleEvent, {
        jobId: id,
        type: 'demo.count',
        owner: 'alice',
        status: 'queued',
        attempt: 0,
      }),
    );
    const t = await timeline(id);
    expect(t.items.map((s) => [s.status, s.attempt])).toEqual([['queued', 0]]);
  });
});

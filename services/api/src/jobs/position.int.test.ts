import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { storedJob } from '../testing/stored-job.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import type { QueuePosition } from './position.js';

// n.b. the test API runs no worker: queued jobs stay queued
let api: TestApi;
let alice: string;
let bob: string;

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  alice = await api.token({ sub: 'alice' });
  bob = await api.token({ sub: 'bob' });
  const queued = (owner: string, priority: 'normal' | 'high', agoMs: number, type = 'demo.count') =>
    storedJob({ owner, type, status: 'queued', priority, agoMs });
  await api.deps.repo.model.collection.insertMany([
    // ahead in its lane: five due earlier (others' too)
    ...[50_000, 40_000, 30_000].map((ago) => queued('bob', 'normal', ago)),
    ...[20_000, 10_000].map((ago) => queued('alice', 'normal', ago)),
    // ahead of the whole standard lane: the priority lane
    queued('bob', 'high', 5_000),
    // not ahead: another type, and a standard job due later is inserted after the submit
    queued('bob', 'normal', 60_000, 'data.process'),
    // the finish rate: ten of the type over the last five minutes = 2 per minute
    ...Array.from({ length: 10 }, () => storedJob({ owner: 'bob', agoMs: 60_000 })),
    storedJob({ owner: 'bob', agoMs: 10 * 60_000 }),
  ]);
});

afterAll(async () => {
  await api?.close();
});

const post = (token: string, body: unknown) =>
  api.call('/v1/jobs', token, { method: 'POST', body: JSON.stringify(body) });

const position = async (token: string, id: string) => {
  const res = await api.call(`/v1/jobs/${id}/position`, token);
  return { status: res.status, body: (await res.json()) as QueuePosition };
};

describe('GET /v1/jobs/{id}/position', () => {
  it('counts the queued jobs of its type ahead of it and gives an ETA at the finish rate', async () => {
    const res = await post(alice, { type: 'demo.count', payload: { to: 1 } });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const { status, body } = await position(alice, id);
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'queued',
      lane: 'standard',
      position: 7,
      finishedPerMinute: 2,
      etaSeconds: 210,
      dueAt: null,
    });

    // a high-priority job overtakes the standard lane: only the earlier high job is ahead
    const urgent = await post(alice, { type: 'demo.count', payload: { to: 1 }, priority: 'high' });
    const { body: u } = await position(alice, ((await urgent.json()) as { id: string }).id);
    expect([u.lane, u.position]).toEqual(['priority', 2]);
  });

  it('has no position for a scheduled job, but its due time', async () => {
    const res = await post(alice, { type: 'demo.count', payload: { to: 1 }, delayMs: 60_000 });
    const { id } = (await res.json()) as { id: string };
    const { body } = await position(alice, id);
    expect(body.position).toBeNull();
    expect(body.etaSeconds).toBeNull();
    expect(Date.parse(body.dueAt ?? '')).toBeGreaterThan(Date.now() + 50_000);
  });

  it("is 404 for another owner's job", async () => {
    const res = await post(alice, { type: 'demo.count', payload: { to: 1 } });
    const { id } = (await res.json()) as { id: string };
    expect((await position(bob, id)).status).toBe(404);
  });
});

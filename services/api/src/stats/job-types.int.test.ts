import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { storedJob } from '../testing/stored-job.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import type { JobTypeFigures } from './job-types.js';

let api: TestApi;
let alice: string;
let admin: string;

/** A job of `owner` that ended `agoMs` ago after 50 ms queued and `runMs` running. */
const ended = (
  owner: string,
  type: string,
  status: 'succeeded' | 'failed',
  agoMs: number,
  runMs: number,
) => storedJob({ owner, type, status, agoMs, runMs, attempts: status === 'failed' ? 3 : 1 });

beforeAll(async () => {
  api = await startTestApi();
  alice = await api.token({ sub: 'alice' });
  admin = await api.token({ sub: 'root', roles: ['admin'] });
  await api.deps.repo.model.collection.insertMany([
    ended('alice', 'demo.count', 'succeeded', 60_000, 100),
    ended('alice', 'demo.count', 'succeeded', 60_000, 300),
    ended('alice', 'demo.count', 'failed', 60_000, 900),
    ended('alice', 'demo.count', 'succeeded', 3 * 3_600_000, 5000), // outside 1h
    ended('bob', 'email.send', 'succeeded', 60_000, 40),
  ]);
});

afterAll(async () => {
  await api?.close();
});

const stats = async (token: string, query = '') => {
  const res = await api.call(`/v1/stats/types${query}`, token);
  return { status: res.status, body: (await res.json()) as { types: JobTypeFigures[] } };
};

describe('GET /v1/stats/types', () => {
  it("gives an owner their own types' figures over the window", async () => {
    const { status, body } = await stats(alice, '?window=1h');
    expect(status).toBe(200);
    expect(body.types).toEqual([
      {
        type: 'demo.count',
        succeeded: 2,
        failed: 1,
        cancelled: 0,
        throughputPerMinute: 0.05,
        failureRate: 1 / 3,
        retries: 2,
        runMs: { p50: 300, p95: 900 },
        queueWaitMs: { p50: 50, p95: 50 },
      },
    ]);
    const wider = await stats(alice, '?window=6h');
    expect(wider.body.types[0]?.succeeded).toBe(3);
  });

  it("shows an admin every owner's types", async () => {
    const { body } = await stats(admin);
    expect(body.types.map((t) => t.type)).toEqual(['demo.count', 'email.send']);
  });

  it('refuses an unknown window with a 400 naming the field', async () => {
    const res = await api.call('/v1/stats/types?window=2h', alice);
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual(['window']);
  });
});

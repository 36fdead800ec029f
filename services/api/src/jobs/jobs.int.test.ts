import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobResource } from '@conveyor/contracts';
import { waitFor } from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;
let alice: string;
let bob: string;
let admin: string;

interface Problem {
  status: number;
  title: string;
  errors?: { field: string; message: string }[];
}

beforeAll(async () => {
  api = await startTestApi({ BODY_LIMIT_BYTES: '65536' });
  alice = await api.token({ sub: 'alice', email: 'alice@example.com' });
  bob = await api.token({ sub: 'bob' });
  admin = await api.token({ sub: 'root', roles: ['admin'] });
});

afterAll(async () => {
  await api?.close();
});

const post = (path: string, token: string, body: unknown) =>
  api.call(path, token, { method: 'POST', body: JSON.stringify(body) });

async function submit(
  token: string,
  body: unknown = { type: 'demo.count', payload: { to: 3 } },
): Promise<JobResource> {
  const res = await post('/v1/jobs', token, body);
  expect(res.status).toBe(202);
  return (await res.json()) as JobResource;
}

/** Sends a request that must be refused with 400 and write nothing; returns its problem. */
async function expectRejected(send: () => Promise<Response>, status = 400): Promise<Problem> {
  const before = await api.jobCount();
  const res = await send();
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const problem = (await res.json()) as Problem;
  expect(problem.status).toBe(status);
  expect(await api.jobCount()).toBe(before);
  return problem;
}

const fields = (p: Problem) => (p.errors ?? []).map((e) => e.field);

describe('submitting jobs', () => {
  it('accepts demo.count with 202, shows it queued, and dispatches it to the processor queue', async () => {
    const job = await submit(alice);
    expect(job).toMatchObject({
      type: 'demo.count',
      status: 'queued',
      owner: 'alice',
      priority: 'normal',
      maxAttempts: 3,
      attempts: 0,
    });
    expect(job.payload).toEqual({ to: 3, delayMs: 0 });
    const got = await api.call(`/v1/jobs/${job.id}`, alice);
    expect(got.status).toBe(200);
    expect(((await got.json()) as JobResource).status).toBe('queued');
    const queue = `${api.deps.runtime.topology.prefix}.processor`;
    const q = await api.deps.runtime.amqp.withChannel((ch) => ch.checkQueue(queue));
    expect(q.messageCount).toBeGreaterThanOrEqual(1);
    // n.b. marked published a moment after the confirm (in a batch)
    await waitFor(
      async () => (await api.deps.repo.model.findById(job.id).lean())?.publishedAt ?? null,
      { timeoutMs: 3000, what: 'the job marked published' },
    );
  });

  it('schedules a job with delayMs', async () => {
    const job = await submit(alice, { type: 'demo.count', payload: { to: 1 }, delayMs: 60_000 });
    expect(job.status).toBe('scheduled');
  });

  it('refuses an unknown type, naming the field `type`', async () => {
    const p = await expectRejected(() => post('/v1/jobs', alice, { type: 'no.such', payload: {} }));
    expect(fields(p)).toEqual(['type']);
  });

  it('refuses a payload failing its schema, prefixing fields with payload.', async () => {
    const p = await expectRejected(() =>
      post('/v1/jobs', alice, { type: 'demo.count', payload: { to: -1 } }),
    );
    expect(fields(p)).toEqual(['payload.to']);
  });

  it('refuses malformed JSON', async () => {
    const p = await expectRejected(() =>
      api.call('/v1/jobs', alice, { method: 'POST', body: '{"type": "demo.count",' }),
    );
    expect(p.title).toBe('Malformed JSON');
  });

  it('refuses an oversized body with 413', async () => {
    const big = { type: 'demo.count', payload: { to: 1, pad: 'x'.repeat(100_000) } };
    await expectRejected(() => post('/v1/jobs', alice, big), 413);
  });

  it('refuses operator objects and client-set status / owner', async () => {
    const op = await expectRejected(() =>
      post('/v1/jobs', alice, { type: { $gt: '' }, payload: { to: 1 } }),
    );
    expect(fields(op)).toEqual(['type']);
    const smuggled = await expectRejected(() =>
      post('/v1/jobs', alice, {
        type: 'demo.count',
        payload: { to: 1 },
        status: 'succeeded',
        owner: 'bob',
      }),
    );
    expect(smuggled.errors?.[0]?.message).toMatch(/status|owner/);
  });

  it('refuses bad list queries', async () => {
    for (const q of [
      'limit=abc',
      'limit=0',
      'limit=201',
      'status[$ne]=x',
      'status=queued&status=failed',
      'status=bogus',
    ]) {
      const res = await api.call(`/v1/jobs?${q}`, alice);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('returns the first job for a repeated idempotency key, with one document', async () => {
    const body = { type: 'demo.count', payload: { to: 2 }, idempotencyKey: 'order-42' };
    const first = await submit(alice, body);
    const before = await api.jobCount();
    const again = await post('/v1/jobs', alice, body);
    expect(again.status).toBe(200);
    expect(((await again.json()) as JobResource).id).toBe(first.id);
    expect(await api.jobCount()).toBe(before);
    expect(await api.deps.repo.model.countDocuments({ idempotencyKey: 'order-42' })).toBe(1);
  });
});

describe('reading, listing and cancelling', () => {
  it('hides another owner’s job (404) and shows it to an admin', async () => {
    const job = await submit(alice);
    expect((await api.call(`/v1/jobs/${job.id}`, bob)).status).toBe(404);
    expect((await api.call(`/v1/jobs/${job.id}/cancel`, bob, { method: 'POST' })).status).toBe(404);
    expect((await api.call(`/v1/jobs/${job.id}/result`, bob)).status).toBe(404);
    expect((await api.call(`/v1/jobs/${job.id}`, admin)).status).toBe(200);
    expect(
      ((await (await api.call(`/v1/jobs/${job.id}`, alice)).json()) as JobResource).status,
    ).toBe('queued');
  });

  it('lists my jobs with a cursor', async () => {
    const res = await api.call('/v1/jobs?limit=2', alice);
    const page = (await res.json()) as { items: JobResource[]; nextCursor: string | null };
    expect(page.items).toHaveLength(2);
    expect(page.items.every((j) => j.owner === 'alice')).toBe(true);
    const next = (await (
      await api.call(`/v1/jobs?limit=2&cursor=${page.nextCursor}`, alice)
    ).json()) as { items: JobResource[] };
    expect(next.items[0]!.id < page.items[1]!.id).toBe(true);
    const bobs = (await (await api.call('/v1/jobs', bob)).json()) as { items: JobResource[] };
    expect(bobs.items).toHaveLength(0);
  });

  it('cancels a queued job, then refuses a second cancel with 409; retry re-queues it', async () => {
    const job = await submit(alice);
    const res = await api.call(`/v1/jobs/${job.id}/cancel`, alice, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as JobResource).status).toBe('cancelled');
    expect((await api.call(`/v1/jobs/${job.id}/cancel`, alice, { method: 'POST' })).status).toBe(
      409,
    );
    const retried = await api.call(`/v1/jobs/${job.id}/retry`, alice, { method: 'POST' });
    expect(retried.status).toBe(202);
    expect(((await retried.json()) as JobResource).status).toBe('queued');
    expect((await api.call(`/v1/jobs/${job.id}`, alice, { method: 'DELETE' })).status).toBe(409);
  });
});

describe('batches', () => {
  it('accepts a batch of 3 with 202', async () => {
    const before = await api.jobCount();
    const res = await post('/v1/jobs/batch', alice, {
      jobs: [1, 2, 3].map((to) => ({ type: 'demo.count', payload: { to } })),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobs: JobResource[] };
    expect(body.jobs.map((j) => j.status)).toEqual(['queued', 'queued', 'queued']);
    expect(await api.jobCount()).toBe(before + 3);
  });

  it('refuses a batch with one invalid job, naming jobs.<i>.<field>, and writes nothing', async () => {
    const jobs = [
      { type: 'demo.count', payload: { to: 1 } },
      { type: 'demo.count', payload: { to: 'x' } },
      { type: 'demo.count', payload: { to: 1 } },
    ];
    const p = await expectRejected(() => post('/v1/jobs/batch', alice, { jobs }));
    expect(fields(p)).toEqual(['jobs.1.payload.to']);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the per-owner limit, and counts batch jobs', async () => {
    const limited = await startTestApiWithLimit();
    try {
      const token = await limited.token({ sub: 'carol' });
      const ok = await limited.call('/v1/jobs/batch', token, {
        method: 'POST',
        body: JSON.stringify({
          jobs: [1, 2].map((to) => ({ type: 'demo.count', payload: { to } })),
        }),
      });
      expect(ok.status).toBe(202);
      const over = await limited.call('/v1/jobs', token, {
        method: 'POST',
        body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
      });
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await over.json()) as Problem).status).toBe(429);
      const other = await limited.call('/v1/jobs', await limited.token({ sub: 'dave' }), {
        method: 'POST',
        body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
      });
      expect(other.status).toBe(202);
    } finally {
      await limited.close();
    }
  });
});

function startTestApiWithLimit(): Promise<TestApi> {
  return startTestApi({ RATE_LIMIT_PER_MINUTE: '2' });
}

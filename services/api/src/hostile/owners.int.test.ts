import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

const post = (path: string, token: string, body: unknown) =>
  api.call(path, token, { method: 'POST', body: JSON.stringify(body) });

describe('digests', () => {
  it("refuses a digest of another owner's jobs (400 naming payload.owner), here and in a schedule", async () => {
    const mallory = await api.token({ sub: 'mallory', email: 'm@example.com' });
    const digest = {
      type: 'email.digest',
      payload: { owner: 'alice', to: 'm@example.com' },
    };
    const before = await api.jobCount();
    const res = await post('/v1/jobs', mallory, digest);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string }[] };
    expect(body.errors.map((e) => e.field)).toEqual(['payload.owner']);
    const sched = await post('/v1/schedules', mallory, {
      name: 'spy',
      cron: '* * * * *',
      job: digest,
    });
    expect(sched.status).toBe(400);
    expect(((await sched.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe(
      'job.payload.owner',
    );
    expect(await api.jobCount()).toBe(before);
    // one's own digest is fine
    const own = await post('/v1/jobs', mallory, {
      type: 'email.digest',
      payload: { owner: 'mallory', to: 'm@example.com' },
    });
    expect(own.status).toBe(202);
  });
});

describe('idempotency keys', () => {
  it('never hands one owner another owner’s job, whatever the owner and key contain', async () => {
    const a = await api.token({ sub: 'alice' });
    const b = await api.token({ sub: 'alice:x' });
    const first = await post('/v1/jobs', a, {
      type: 'demo.count',
      payload: { to: 1 },
      idempotencyKey: 'x:k',
    });
    expect(first.status).toBe(202);
    const second = await post('/v1/jobs', b, {
      type: 'demo.count',
      payload: { to: 2 },
      idempotencyKey: 'k',
    });
    expect(second.status).toBe(202);
    const [j1, j2] = (await Promise.all([first.json(), second.json()])) as {
      id: string;
      owner: string;
    }[];
    expect(j2!.id).not.toBe(j1!.id);
    expect(j2!.owner).toBe('alice:x');
    // the same owner and key still dedupe
    const again = await post('/v1/jobs', a, {
      type: 'demo.count',
      payload: { to: 1 },
      idempotencyKey: 'x:k',
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(j1!.id);
  });
});

describe('event streams', () => {
  it('treats a client leaving an SSE stream as normal: no stack trace on stderr', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const token = await api.token({ sub: 'sse-user' });
      for (let i = 0; i < 3; i++) {
        const abort = new AbortController();
        const res = await api.call('/v1/events', token, { signal: abort.signal });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        await reader.read(); // the ': open' comment
        abort.abort();
        await reader.read().catch(() => undefined);
      }
      // n.b. give the server time to see the closed sockets
      await new Promise((r) => setTimeout(r, 500));
      expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([]);
    } finally {
      errors.mockRestore();
    }
  });
});

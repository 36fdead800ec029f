import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// The store going away under a running API: a submission is told to come back (503 with
// Retry-After), never answered 500. The connection is closed for real, so the error is the
// driver's own.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close().catch(() => undefined);
});

it('answers 503 with Retry-After while the store is unreachable', async () => {
  const token = await api.token({ sub: 'alice' });
  const ok = await api.call('/v1/jobs', token, {
    method: 'POST',
    body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
  });
  expect(ok.status).toBe(202);
  await api.deps.runtime.mongo.close();
  for (const [path, init] of [
    [
      '/v1/jobs',
      { method: 'POST', body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }) },
    ],
    ['/v1/jobs', {}],
  ] as const) {
    const res = await api.call(path, token, init);
    expect({ path, status: res.status }).toEqual({ path, status: 503 });
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  }
  const ready = await api.call('/readyz', null);
  expect(ready.status).toBe(503);
});

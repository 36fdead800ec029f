import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

async function expect401(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer');
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = (await res.json()) as { status: number; title: string; instance: string };
  expect(body).toMatchObject({
    type: 'about:blank',
    status: 401,
    title: 'Unauthorized',
    instance: '/v1/jobs',
  });
}

describe('authentication', () => {
  it('accepts a valid token', async () => {
    const res = await api.call('/v1/jobs', await api.token({ sub: 'alice' }));
    expect(res.status).toBe(200);
  });

  it('answers 401 without a token', async () => {
    await expect401(await api.call('/v1/jobs', null));
  });

  it('answers 401 for a token signed with another secret', async () => {
    await expect401(
      await api.call(
        '/v1/jobs',
        await api.token({ sub: 'alice' }, { secret: 'another-secret-that-is-long-enough-0123456' }),
      ),
    );
  });

  it('answers 401 for a token for another audience', async () => {
    await expect401(
      await api.call('/v1/jobs', await api.token({ sub: 'alice' }, { audience: 'someone-else' })),
    );
  });

  it('answers 401 for an expired token', async () => {
    await expect401(
      await api.call('/v1/jobs', await api.token({ sub: 'alice' }, { ttlSeconds: -60 })),
    );
  });

  it('puts the schedules API behind the same authentication', async () => {
    expect((await api.call('/v1/schedules', null)).status).toBe(401);
    expect((await api.call('/v1/schedules', await api.token({ sub: 'alice' }))).status).toBe(200);
  });

  it('answers 401 for garbage', async () => {
    await expect401(await api.call('/v1/jobs', 'not.a.jwt'));
  });
});

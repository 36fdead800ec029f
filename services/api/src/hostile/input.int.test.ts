import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// What a hostile or careless client sends: each case answered with a 4xx problem document
// naming what was wrong, never a 500, and nothing stored.

let api: TestApi;
let alice: string;
let bob: string;

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '3' });
  alice = await api.token({ sub: 'alice' });
  bob = await api.token({ sub: 'bob' });
});

afterAll(async () => {
  await api?.close();
});

interface Problem {
  status: number;
  title: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

async function problem(res: Response, status: number): Promise<Problem> {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = (await res.json()) as Problem;
  expect({ http: res.status, body: body.status }).toEqual({ http: status, body: status });
  return body;
}

const schedule = (job: unknown, cron = '*/5 * * * *') =>
  JSON.stringify({ name: 'nightly', cron, job });
const demoJob = { type: 'demo.count', payload: { to: 1 } };

describe('request bodies', () => {
  it('answers 400 naming Content-Encoding for a "gzip" body that is not gzip', async () => {
    const before = await api.jobCount();
    const res = await api.call('/v1/jobs', alice, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: JSON.stringify(demoJob),
    });
    const body = await problem(res, 400);
    expect(body.errors).toEqual([expect.objectContaining({ field: 'Content-Encoding' })]);
    expect(await api.jobCount()).toBe(before);
  });

  it('still reads a body that really is gzip', async () => {
    const res = await api.call('/v1/jobs/batch', alice, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ jobs: [] })),
    });
    // n.b. decoded and validated: an empty batch is a field error, not a decoding error
    const body = await problem(res, 400);
    expect(body.errors?.[0]?.field).toBe('jobs');
  });

  it('answers 415 saying the body must be application/json when Content-Type is missing', async () => {
    const res = await fetch(`${api.baseUrl}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: new Blob([JSON.stringify(demoJob)]),
    });
    const body = await problem(res, 415);
    expect(body.detail).toContain('application/json');
  });

  it('answers 415 for a form-encoded body', async () => {
    const res = await api.call('/v1/schedules', alice, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x&cron=*',
    });
    expect((await problem(res, 415)).detail).toContain('application/json');
  });
});

describe('methods', () => {
  it('answers 405 with Allow as a problem document', async () => {
    const res = await api.call('/v1/jobs', alice, { method: 'PUT', body: '{}' });
    await problem(res, 405);
    expect(res.headers.get('allow')).toMatch(/GET/);
    expect(res.headers.get('allow')).toMatch(/POST/);
  });

  it('answers 405 with Allow, not 501, for a method the server does not know (PROPFIND)', async () => {
    const res = await api.call('/v1/jobs', alice, { method: 'PROPFIND' });
    await problem(res, 405);
    expect(res.headers.get('allow')).toMatch(/POST/);
  });

  it('lists only the methods of the path itself (/v1/jobs/search is not /v1/jobs/{id})', async () => {
    const res = await api.call('/v1/jobs/search', alice, { method: 'OPTIONS' });
    expect(res.headers.get('allow')).toBe('HEAD, GET');
    await problem(await api.call('/v1/jobs/search', alice, { method: 'DELETE' }), 405);
  });
});

describe('schedules', () => {
  it('refuses a cron that never fires on create (400 naming cron), quickly', async () => {
    const res = await api.call('/v1/schedules', alice, {
      method: 'POST',
      body: schedule(demoJob, '0 0 31 2 *'),
    });
    const body = await problem(res, 400);
    expect(body.errors).toEqual([
      { field: 'cron', message: expect.stringContaining('never fires') },
    ]);
  });

  it('refuses re-enabling a schedule whose cron never fires (PATCH)', async () => {
    const created = await api.call('/v1/schedules', alice, {
      method: 'POST',
      body: schedule(demoJob),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const res = await api.call(`/v1/schedules/${id}`, alice, {
      method: 'PATCH',
      body: JSON.stringify({ cron: '0 0 30 2 *', enabled: true }),
    });
    expect((await problem(res, 400)).errors?.[0]?.field).toBe('cron');
  });

  it("refuses another owner's uploadId in a data.process template, like POST /v1/jobs", async () => {
    const form = new FormData();
    form.append('file', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'bob.csv');
    const up = await api.call('/v1/uploads', bob, { method: 'POST', body: form });
    expect(up.status).toBe(201);
    const { uploadId } = (await up.json()) as { uploadId: string };
    const job = {
      type: 'data.process',
      payload: { source: { uploadId }, steps: [], output: { format: 'json' } },
    };
    const res = await api.call('/v1/schedules', alice, { method: 'POST', body: schedule(job) });
    const body = await problem(res, 400);
    expect(body.errors).toEqual([
      { field: 'job.payload.source.uploadId', message: 'no such upload' },
    ]);
    // the owner of the upload may
    const own = await api.call('/v1/schedules', bob, { method: 'POST', body: schedule(job) });
    expect(own.status).toBe(201);
  });

  it('draws a manual trigger from the same per-owner limit as submissions', async () => {
    const carol = await api.token({ sub: 'carol' });
    const created = await api.call('/v1/schedules', carol, {
      method: 'POST',
      body: schedule(demoJob),
    });
    const { id } = (await created.json()) as { id: string };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (await api.call(`/v1/schedules/${id}/trigger`, carol, { method: 'POST' })).status,
      );
    // limit 3 per minute: three triggers pass, then 429
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const job = await api.call('/v1/jobs', carol, {
      method: 'POST',
      body: JSON.stringify(demoJob),
    });
    expect(job.status).toBe(429);
    expect(job.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('the contract', () => {
  it('documents every route, schedules and probes included, and how to authenticate', async () => {
    const doc = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as {
      info: { description: string };
      paths: Record<string, Record<string, { security: unknown[]; responses: object }>>;
    };
    for (const path of [
      '/v1/schedules',
      '/v1/schedules/{id}',
      '/v1/schedules/{id}/trigger',
      '/healthz',
      '/readyz',
      '/metrics',
      '/v1/workflows',
      '/v1/dead-letters',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(Object.keys(doc.paths['/v1/schedules/{id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
    ]);
    expect(doc.paths['/healthz']?.['get']?.security).toEqual([]);
    expect(doc.paths['/v1/schedules']?.['post']?.security).toEqual([{ bearer: [] }]);
    expect(doc.info.description).toContain('pnpm token');
  });

  it('serves the route a document lists, and 404s one it does not', async () => {
    const doc = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    // every documented GET without parameters has a route (no 'no route' 404, no 405)
    const admin = await api.token({ sub: 'admin', roles: ['admin'] });
    const unserved: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!('get' in ops) || path.includes('{') || path.includes('events')) continue;
      const res = await api.call(path, admin);
      const text = await res.text();
      if (res.status === 405 || text.includes('no route for'))
        unserved.push(`${path} ${res.status}`);
    }
    expect(unserved).toEqual([]);
    await problem(await api.call('/v1/nowhere', alice), 404);
  });
});

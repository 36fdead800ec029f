import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LANES } from '@conveyor/contracts';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;
let alice: string;
let bob: string;
let admin: string;

interface Job {
  id: string;
  owner: string;
}

async function submit(token: string, body: Record<string, unknown>): Promise<Job> {
  const res = await api.call('/v1/jobs', token, {
    method: 'POST',
    body: JSON.stringify({ type: 'demo.count', payload: { to: 1 }, delayMs: 3_600_000, ...body }),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as Job;
}

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  alice = await api.token({ sub: 'alice' });
  bob = await api.token({ sub: 'bob' });
  admin = await api.token({ sub: 'ops', roles: ['admin'] });
});

afterAll(async () => {
  await api?.close();
});

describe('/ui bundle', () => {
  it('serves index.html with no-cache and a strict CSP, and hashed assets as immutable', async () => {
    const redirect = await fetch(`${api.baseUrl}/ui`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/ui/');

    const index = await fetch(`${api.baseUrl}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();

    const asset = await fetch(`${api.baseUrl}${script}`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('content-encoding')).toBe('gzip');

    const etag = index.headers.get('etag')!;
    const again = await fetch(`${api.baseUrl}/ui/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);

    // App routes answer the page; an unknown asset is a 404, never the page.
    expect((await fetch(`${api.baseUrl}/ui/jobs/123`)).status).toBe(200);
    expect((await fetch(`${api.baseUrl}/ui/assets/nope-123.js`)).status).toBe(404);
  });
});

describe('dashboard read endpoints', () => {
  it('searches jobs by owner scope, free text and time range; admins filter by owner', async () => {
    const a = await submit(alice, { idempotencyKey: 'order-42' });
    const b = await submit(bob, { idempotencyKey: 'order-42' });
    const search = async (token: string, q: string) => {
      const res = await api.call(`/v1/jobs/search?${q}`, token);
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: Job[] }).items.map((j) => j.id);
    };
    expect(await search(alice, 'q=order-42')).toEqual([a.id]);
    expect(await search(alice, `q=${b.id}`)).toEqual([]);
    expect(await search(alice, 'owner=bob')).not.toContain(b.id); // ignored for non-admins
    expect((await search(admin, 'q=order-42')).sort()).toEqual([a.id, b.id].sort());
    expect(await search(admin, 'owner=bob&q=order-42')).toEqual([b.id]);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect(await search(alice, `from=${encodeURIComponent(future)}`)).toEqual([]);
    expect(await search(alice, `to=${encodeURIComponent(future)}&q=order-42`)).toEqual([a.id]);

    const bad = await api.call('/v1/jobs/search?from=yesterday&limit=0', alice);
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field).sort()).toEqual(['from', 'limit']);
  });

  it('keeps a job’s timeline and hides it from other owners', async () => {
    const job = await submit(alice, {});
    await api.call(`/v1/jobs/${job.id}/cancel`, alice, { method: 'POST' });
    let items: { status: string }[] = [];
    for (let i = 0; i < 100 && items.length < 2; i++) {
      const res = await api.call(`/v1/jobs/${job.id}/timeline`, alice);
      items = ((await res.json()) as { items: { status: string }[] }).items;
      if (items.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(items.map((e) => e.status)).toEqual(['scheduled', 'cancelled']);
    expect((await api.call(`/v1/jobs/${job.id}/timeline`, bob)).status).toBe(404);
  });

  it('previews cron fire times and names the wrong field', async () => {
    const ok = await api.call(
      '/v1/cron/preview?cron=0%200%209%20*%20*%20*&timezone=UTC&count=3',
      alice,
    );
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { next: string[] };
    expect(body.next).toHaveLength(3);
    for (const t of body.next) expect(t).toMatch(/T09:00:00\.000Z$/);

    const bad = await api.call('/v1/cron/preview?cron=61%20*%20*%20*%20*', alice);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('cron');
    const zone = await api.call(
      '/v1/cron/preview?cron=*%20*%20*%20*%20*&timezone=Mars/Base',
      alice,
    );
    expect(zone.status).toBe(400);
    expect(((await zone.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe(
      'timezone',
    );
  });

  it('gives the overview of the caller’s jobs only, and dead letters to admins only', async () => {
    const res = await api.call('/v1/stats/overview', bob);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      counts: Record<string, number>;
      lastHour: { series: unknown[] };
      lanes: unknown[];
    };
    const own = (await (await api.call('/v1/jobs/search?limit=200', bob)).json()) as {
      items: unknown[];
    };
    expect(Object.values(body.counts).reduce((a, b) => a + b, 0)).toBe(own.items.length);
    expect(body.lastHour.series).toHaveLength(60);
    // two worker groups (processor, mailer), each with its standard, priority and fair lanes
    expect(body.lanes).toHaveLength(2 * LANES.length);

    expect((await api.call('/v1/dead-letters', alice)).status).toBe(403);
    const dl = await api.call('/v1/dead-letters', admin);
    expect(dl.status).toBe(200);
    expect(await dl.json()).toEqual({ items: [], total: 0 });
    expect((await api.call('/v1/dead-letters/zzz/requeue', admin, { method: 'POST' })).status).toBe(
      400,
    );
    const queues = (await (await api.call('/v1/stats/queues', alice)).json()) as {
      items: { name: string; role: string; consumers: number }[];
    };
    const { queues: names } = api.deps.runtime.topology;
    expect(queues.items.map((q) => [q.name, q.role])).toEqual(
      expect.arrayContaining([
        [names.work('processor', 'standard'), 'work'],
        [names.dead, 'dead-letters'],
      ]),
    );
    // n.b. timelines travel in the job documents: no timeline feed any more
    expect(queues.items.find((q) => q.name === names.timeline)).toBeUndefined();
  });

  it('documents the new endpoints in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const p of [
      '/v1/jobs/search',
      '/v1/jobs/{id}/timeline',
      '/v1/stats/overview',
      '/v1/stats/queues',
      '/v1/dead-letters',
      '/v1/dead-letters/{key}/requeue',
      '/v1/cron/preview',
      '/v1/schedules/{id}/fires',
    ])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  infra,
  mongoUrlForDb,
  startService,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// Pausing a queue (worker group) fleet-wide, end to end through the real API, RabbitMQ and
// the store: two worker groups built on the SDK (packages/sdk/src/testing/acme-worker.ts),
// `acme` running acme.echo and `acme-other` running acme-other.ping. While `acme` is paused
// its job stays queued with no attempt spent and `acme-other`'s job runs; the resume runs it.
// Whether the paused job was looked at is read from the worker's own log line, never from
// how long anything took.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const ACME = join(ROOT, 'packages/sdk/dist/testing/acme-worker.js');

interface Job {
  id: string;
  status: string;
  attempts: number;
}
interface Problem {
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}
interface PausedQueue {
  queue: string;
  pausedAt: string;
  by: string;
  types: string[];
  waiting: number;
}

let api: TestApi;
let alice: string;
let admin: string;
const procs: ServiceProcess[] = [];
let acme: ServiceProcess;

async function call<T>(
  path: string,
  token: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T; type: string | null }> {
  const res = await api.call(path, token, {
    ...init,
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    type: res.headers.get('content-type'),
  };
}

async function submit(type: string, payload: unknown): Promise<string> {
  const res = await call<{ id: string }>('/v1/jobs', alice, {
    method: 'POST',
    body: JSON.stringify({ type, payload }),
  });
  expect(res.status).toBe(202);
  return res.body.id;
}

const job = async (id: string) => (await call<Job>(`/v1/jobs/${id}`, alice)).body;

async function until(id: string, status: string): Promise<Job> {
  return waitFor(
    async () => {
      const j = await job(id);
      return j.status === status ? j : null;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `job ${id} ${status}` },
  );
}

beforeAll(async () => {
  api = await startTestApi();
  const { rabbitmqUrl, mongoUrl } = await infra();
  const env = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, api.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
    // n.b. a worker logs each job it leaves queued for a pause at debug
    LOG_LEVEL: 'debug',
  };
  const started = await Promise.all([
    startService('acme', { ...env, WORKER_NAME: 'acme', ACME_TYPES: 'echo' }, { entry: ACME }),
    startService(
      'acme-other',
      { ...env, WORKER_NAME: 'acme-other', ACME_TYPES: 'other' },
      { entry: ACME },
    ),
  ]);
  procs.push(...started);
  acme = started[0];
  alice = await api.token({ sub: 'alice', email: 'alice@example.com' });
  admin = await api.token({ sub: 'ops', roles: ['admin'] });
  await waitFor(
    async () => {
      const types = (await call<{ name: string; queue: string }[]>('/v1/job-types', alice)).body;
      const queueOf = new Map(types.map((t) => [t.name, t.queue]));
      return queueOf.get('acme.echo') === 'acme' && queueOf.get('acme-other.ping') === 'acme-other';
    },
    { timeoutMs: 30_000, what: 'both worker groups in the catalogue' },
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGTERM').catch(() => null)));
  await api?.close();
});

describe('pausing a queue (worker group)', () => {
  it('is for admins only: 403 for anyone else, pausing or resuming', async () => {
    for (const method of ['POST', 'DELETE']) {
      const res = await call<Problem>('/v1/queues/acme/pause', alice, { method });
      expect(res.status).toBe(403);
      expect(res.body.detail).toMatch(/queues is for admins only/);
    }
    expect((await call<{ items: unknown[] }>('/v1/paused-queues', alice)).status).toBe(200);
  });

  it('answers 400 naming the field for a malformed queue name, and 404 naming the known queues', async () => {
    for (const method of ['POST', 'DELETE']) {
      for (const bad of ['Acme', 'acme.echo', '-acme', 'a'.repeat(64)]) {
        const res = await call<Problem>(`/v1/queues/${bad}/pause`, admin, { method });
        expect({ bad, status: res.status, type: res.type }).toEqual({
          bad,
          status: 400,
          type: expect.stringContaining('application/problem+json'),
        });
        expect(res.body.errors).toEqual([
          { field: 'queue', message: expect.stringContaining('lower-case letters, digits and -') },
        ]);
      }
      const unknown = await call<Problem>('/v1/queues/nowhere/pause', admin, { method });
      expect(unknown.status).toBe(404);
      expect(unknown.body.detail).toMatch(/^unknown queue "nowhere"; known queues: .*\bacme\b/);
      expect(unknown.body.detail).toContain('acme-other');
    }
    const notPaused = await call<Problem>('/v1/queues/acme/pause', admin, { method: 'DELETE' });
    expect(notPaused.status).toBe(404);
    expect(notPaused.body.detail).toBe('queue "acme" is not paused');
  });

  it("leaves the paused queue's job queued, attempt unspent, while another queue runs; resume runs it", async () => {
    const paused = await call<PausedQueue>('/v1/queues/acme/pause', admin, { method: 'POST' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ queue: 'acme', by: 'ops', types: ['acme.echo'] });
    try {
      const held = await submit('acme.echo', { text: 'wait for me' });
      const other = await submit('acme-other.ping', { n: 7 });
      // the other queue's job runs
      await until(other, 'succeeded');
      // the paused queue's worker was handed the job and left it queued
      await waitFor(
        () => acme.lines.some((l) => l.includes('"job left queued: paused"') && l.includes(held)),
        { timeoutMs: 30_000, what: `the acme worker leaving ${held} queued for the pause` },
      );
      expect(await job(held)).toMatchObject({ status: 'queued', attempts: 0 });
      const line = acme.lines.find((l) => l.includes('"job left queued: paused"'));
      expect(JSON.parse(line!)).toMatchObject({ queue: 'acme', paused: 'queue' });

      const listed = await call<{ items: PausedQueue[] }>('/v1/paused-queues', alice);
      expect(listed.body.items).toEqual([
        {
          queue: 'acme',
          pausedAt: paused.body.pausedAt,
          by: 'ops',
          types: ['acme.echo'],
          waiting: 1,
        },
      ]);

      const resumed = await call<{ queue: string; redispatched: number }>(
        '/v1/queues/acme/pause',
        admin,
        { method: 'DELETE' },
      );
      expect(resumed).toMatchObject({ status: 200, body: { queue: 'acme', redispatched: 1 } });
      expect((await until(held, 'succeeded')).attempts).toBe(1);
      expect((await call<{ items: unknown[] }>('/v1/paused-queues', alice)).body.items).toEqual([]);
    } finally {
      await call('/v1/queues/acme/pause', admin, { method: 'DELETE' });
    }
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths['/v1/queues/{queue}/pause'] ?? {}).sort()).toEqual([
      'delete',
      'post',
    ]);
    expect(Object.keys(doc.paths['/v1/queues/{queue}/pause']!['post']!.responses)).toEqual(
      expect.arrayContaining(['200', '400', '403', '404']),
    );
    expect(Object.keys(doc.paths['/v1/paused-queues'] ?? {})).toEqual(['get']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  infra,
  mongoUrlForDb,
  startService,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import { startTestApi, type TestApi } from './testing/test-api.js';

let api: TestApi;
let processor: ServiceProcess;
let alice: string;

interface Job {
  id: string;
  status: string;
  result: { artifactId?: string } | null;
  progress: { percent: number } | null;
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function submit(body: unknown): Promise<Job> {
  const res = await api.call('/v1/jobs', alice, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return json<Job>(res);
}

async function until(id: string, status: string): Promise<Job> {
  let job: Job | null = null;
  await waitFor(
    async () => {
      job = await json<Job>(await api.call(`/v1/jobs/${id}`, alice));
      return job.status === status;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: `job ${id} ${status}` },
  );
  return job!;
}

beforeAll(async () => {
  api = await startTestApi();
  const { rabbitmqUrl, mongoUrl } = await infra();
  processor = await startService('processor', {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, api.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
  });
  alice = await api.token({ sub: 'alice', email: 'alice@example.com' });
});

afterAll(async () => {
  await processor?.stop('SIGTERM');
  await api?.close();
});

describe('API with a running processor', () => {
  it('serves the artifact of a data.process job with its content type, and deletes it with the job', async () => {
    const job = await submit({
      type: 'data.process',
      payload: {
        source: {
          records: [
            { name: 'Zoë', n: '2' },
            { name: 'Ann, Jr', n: '10' },
          ],
        },
        steps: [{ op: 'sort', by: [{ field: 'n', dir: 'desc' }] }],
        output: { format: 'csv' },
      },
    });
    const done = await until(job.id, 'succeeded');
    const res = await api.call(`/v1/jobs/${job.id}/result`, alice);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(await res.text()).toBe('name,n\r\n"Ann, Jr",10\r\nZoë,2\r\n');
    const bob = await api.token({ sub: 'bob' });
    expect((await api.call(`/v1/jobs/${job.id}/result`, bob)).status).toBe(404);

    expect((await api.call(`/v1/jobs/${job.id}`, alice, { method: 'DELETE' })).status).toBeLessThan(
      300,
    );
    expect((await api.call(`/v1/jobs/${job.id}`, alice)).status).toBe(404);
    expect(await api.deps.artifacts.find(done.result!.artifactId!)).toBeNull();
  });

  it('cancels a running job through the API: the handler stops before it is done', async () => {
    const job = await submit({ type: 'demo.count', payload: { to: 200, delayMs: 50 } });
    await until(job.id, 'running');
    const res = await api.call(`/v1/jobs/${job.id}/cancel`, alice, { method: 'POST' });
    expect(res.status).toBe(202);
    const done = await until(job.id, 'cancelled');
    // n.b. the count takes 10 s; a cancelled run never reaches its end
    expect(done.result).toBeNull();
    expect(done.progress?.percent ?? 0).toBeLessThan(100);
  });

  it('retries a cancelled job through the API and runs it to success', async () => {
    const job = await submit({
      type: 'demo.count',
      payload: { to: 1 },
      runAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect((await api.call(`/v1/jobs/${job.id}/cancel`, alice, { method: 'POST' })).status).toBe(
      200,
    );
    await until(job.id, 'cancelled');
    expect(
      (await api.call(`/v1/jobs/${job.id}/retry`, alice, { method: 'POST' })).status,
    ).toBeLessThan(300);
    const done = await until(job.id, 'succeeded');
    expect(done.result).toEqual({ counted: 1 });
  });

  it('lists the running processor under /v1/workers from its heartbeats', async () => {
    await waitFor(
      async () => {
        const body = await json<unknown>(await api.call('/v1/workers', alice));
        return JSON.stringify(body).includes('"service":"processor"');
      },
      { timeoutMs: 15_000, intervalMs: 500, what: 'processor in /v1/workers' },
    );
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { infra, mongoUrlForDb, startService, type ServiceProcess } from '@conveyor/testkit';
import { startTestApi, type TestApi } from '@conveyor/api/testing';
import {
  ConflictError,
  ConveyorApiError,
  ConveyorClient,
  ConveyorNetworkError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
  WaitTimeoutError,
  batchItem,
  step,
  type JobEvent,
  type ConveyorEvent,
} from './index.js';
import { startCuttingProxy } from './testing/cutting-proxy.js';

// The definition a caller shares with the worker; the client is typed by it structurally.
const demoCount = {
  name: 'demo.count',
  payload: z.strictObject({ to: z.int().min(0), delayMs: z.int().min(0).default(0) }),
  result: z.object({ counted: z.int() }),
} as const;

const dataProcess = {
  name: 'data.process',
  payload: z.object({
    source: z.object({ records: z.array(z.record(z.string(), z.unknown())) }),
    steps: z.array(z.unknown()),
    output: z.object({ format: z.enum(['json', 'csv']) }),
  }),
  result: z.object({ artifactId: z.string() }).loose(),
};

let api: TestApi;
let processor: ServiceProcess;
let scheduler: ServiceProcess;
let client: ConveyorClient;

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  const { rabbitmqUrl, mongoUrl } = await infra();
  const shared = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, api.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
  };
  [processor, scheduler] = await Promise.all([
    startService('processor', shared),
    startService('scheduler', { ...shared, SCAN_INTERVAL_MS: '250', DIGEST_CRON: 'off' }),
  ]);
  const token = await api.token({ sub: 'alice', email: 'alice@example.com' });
  client = new ConveyorClient({ baseUrl: api.baseUrl, token });
});

afterAll(async () => {
  await Promise.all([processor?.stop('SIGTERM'), scheduler?.stop('SIGTERM')]);
  await api?.close();
});

/**
 * Opens `stream`, submits a short demo job once the connection is open, and collects events
 * until `last` says the job's event is the last one wanted; returns them and the job's id.
 */
async function collectUntil(
  stream: AsyncGenerator<ConveyorEvent, void, undefined>,
  last: (e: ConveyorEvent, jobId: string) => boolean,
): Promise<{ seen: ConveyorEvent[]; jobId: string }> {
  const seen: ConveyorEvent[] = [];
  // n.b. the first next() opens the connection; the job runs long enough to be seen finishing
  const first = stream.next();
  const job = await client.submit(demoCount, { to: 3, delayMs: 300 });
  let next = await first;
  while (!next.done) {
    seen.push(next.value);
    if (last(next.value, job.id)) break;
    next = await stream.next();
  }
  await stream.return(undefined);
  return { seen, jobId: job.id };
}

describe('ConveyorClient against a running API and processor', () => {
  it('submits a typed demo.count and waits for its typed result', async () => {
    const job = await client.submit(demoCount, { to: 3 });
    expect(job.status).toMatch(/^(queued|running|succeeded)$/);
    const done = await client.wait(job, { timeoutMs: 30_000 });
    expect(done.status).toBe('succeeded');
    const counted: number = done.result!.counted;
    expect(counted).toBe(3);
    expect(done.payload).toEqual({ to: 3, delayMs: 0 });
  });

  it('streams a job’s events: a snapshot, its progress, and the end', async () => {
    // n.b. the worker sends at most one progress event per 500 ms
    const job = await client.submit(demoCount, { to: 3, delayMs: 600 });
    const events: JobEvent<{ counted: number }>[] = [];
    for await (const event of client.events(job)) events.push(event);
    // n.b. the snapshot is read after subscribing, so an event may come before it
    expect(events.filter((e) => e.type === 'job')).toHaveLength(1);
    const progress = events.flatMap((e) =>
      e.type === 'progress' ? [e.data.progress.percent] : [],
    );
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const last = events.at(-1)!;
    expect(last.type === 'lifecycle' ? last.data.status : last.type).toBe('succeeded');
  });

  it('cancels a running job; a second cancel is a ConflictError', async () => {
    const job = await client.submit(demoCount, { to: 1000, delayMs: 200 });
    for await (const event of client.events(job)) {
      if (
        event.type === 'progress' ||
        (event.type === 'lifecycle' && event.data.status === 'running')
      )
        break;
    }
    const cancelling = await client.cancel(job);
    expect(['running', 'cancelled']).toContain(cancelling.status);
    const done = await client.wait(job, { timeoutMs: 30_000 });
    expect(done.status).toBe('cancelled');
    const again = await client.cancel(job).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    expect((again as ConflictError).status).toBe(409);

    const retried = await client.retry(job);
    expect(['scheduled', 'queued', 'running']).toContain(retried.status);
    await client.cancel(retried);
    await client.wait(retried, { timeoutMs: 30_000 });
    await client.delete(job);
    await expect(client.get(job)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('turns a 400 with field errors into a ValidationError carrying them', async () => {
    const err = await client.submit('demo.count', { to: -1, extra: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toBeInstanceOf(ConveyorApiError);
    const v = err as ValidationError;
    expect(v.status).toBe(400);
    expect(v.code).toBe('VALIDATION_FAILED');
    expect(v.problem.title).toBe('Invalid request');
    expect(v.errors.map((e) => e.field)).toEqual(expect.arrayContaining(['payload.to']));
    expect(v.message).toContain('payload.to');
  });

  it('answers NotFoundError for an unknown job, on reads and on its stream', async () => {
    const missing = '0123456789abcdef01234567';
    await expect(client.get(missing)).rejects.toBeInstanceOf(NotFoundError);
    const streamed = await (async () => {
      for await (const _ of client.events(missing)) return 'yielded';
      return 'ended';
    })().catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(NotFoundError);
    expect((streamed as NotFoundError).problem.status).toBe(404);
  });

  it('answers UnauthorizedError for a bad token, asking getToken each time', async () => {
    let asked = 0;
    const bad = new ConveyorClient({
      baseUrl: api.baseUrl,
      getToken: () => {
        asked += 1;
        return 'not-a-jwt';
      },
    });
    await expect(bad.jobTypes()).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(bad.get('0123456789abcdef01234567')).rejects.toBeInstanceOf(UnauthorizedError);
    expect(asked).toBe(2);
  });

  it('submits a batch and lists it page by page', async () => {
    const jobs = await client.submitBatch([
      batchItem(demoCount, { to: 1 }),
      batchItem(demoCount, { to: 2 }, { priority: 'high' }),
      { type: 'demo.count', payload: { to: 3 }, idempotencyKey: 'batch-three' },
    ]);
    expect(jobs).toHaveLength(3);
    const seen: string[] = [];
    for await (const job of client.list({ type: demoCount, pageSize: 2 })) seen.push(job.id);
    expect(seen).toEqual(expect.arrayContaining(jobs.map((j) => j.id)));
    const page = await client.listPage({ type: 'demo.count', pageSize: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).not.toBeNull();

    const bad = await client
      .submitBatch([batchItem(demoCount, { to: 1 }), { type: 'no.such', payload: {} }])
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).errors.map((e) => e.field)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^jobs\.1\./)]),
    );
  });

  it('downloads an artifact result as a streamed Response', async () => {
    const job = await client.submit(dataProcess, {
      source: {
        records: [
          { city: 'Berlin', n: '2' },
          { city: 'Paris', n: '1' },
        ],
      },
      steps: [],
      output: { format: 'csv' },
    });
    const done = await client.wait(job, { timeoutMs: 30_000 });
    expect(done.status).toBe('succeeded');
    expect(typeof done.result?.artifactId).toBe('string');
    const res = await client.result(job);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment/);
    const text = await res.text();
    expect(text.trim().split(/\r?\n/)).toEqual(['city,n', 'Berlin,2', 'Paris,1']);

    const unfinished = await client.submit(demoCount, { to: 100, delayMs: 100 });
    await expect(client.result(unfinished)).rejects.toBeInstanceOf(ConflictError);
    await client.cancel(unfinished);
  });

  it('falls back to polling when the event stream is unavailable', async () => {
    let streams = 0;
    const token = await api.token({ sub: 'alice', email: 'alice@example.com' });
    const noSse = new ConveyorClient({
      baseUrl: api.baseUrl,
      token,
      // n.b. a proxy in front of the API that refuses event streams
      fetch: (input, init) => {
        if (String(input).endsWith('/events')) {
          streams += 1;
          return Promise.resolve(new Response('no streams here', { status: 502 }));
        }
        return fetch(input, init);
      },
    });
    const job = await noSse.submit(demoCount, { to: 2, delayMs: 50 });
    const done = await noSse.wait(job, { timeoutMs: 30_000, pollIntervalMs: 100 });
    expect(done.status).toBe('succeeded');
    expect(done.result?.counted).toBe(2);
    expect(streams).toBe(1);
  });

  it('re-opens a job’s stream when the connection drops, starting again from a snapshot', async () => {
    const proxy = await startCuttingProxy(api.baseUrl);
    try {
      const token = await api.token({ sub: 'alice', email: 'alice@example.com' });
      const viaProxy = new ConveyorClient({ baseUrl: proxy.baseUrl, token });
      const job = await client.submit(demoCount, { to: 4, delayMs: 600 });
      const kinds: string[] = [];
      let cut = false;
      for await (const event of viaProxy.events(job)) {
        kinds.push(event.type === 'lifecycle' ? event.data.status : event.type);
        if (!cut && event.type === 'progress') {
          cut = true;
          proxy.cut();
        }
      }
      expect(proxy.accepted).toBeGreaterThanOrEqual(2);
      // the first connection's snapshot, progress, then the second connection's snapshot
      expect(kinds.filter((k) => k === 'job').length).toBeGreaterThanOrEqual(2);
      expect(kinds.at(-1)).toBe('succeeded');
    } finally {
      await proxy.close();
    }
  });

  it('ends a stream with ConveyorNetworkError when reconnect is off and the connection drops', async () => {
    const proxy = await startCuttingProxy(api.baseUrl);
    try {
      const token = await api.token({ sub: 'alice', email: 'alice@example.com' });
      const viaProxy = new ConveyorClient({ baseUrl: proxy.baseUrl, token });
      const job = await client.submit(demoCount, { to: 100, delayMs: 100 });
      const err = await (async () => {
        for await (const event of viaProxy.events(job, { reconnect: false }))
          if (event.type === 'job') proxy.cut();
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorNetworkError);
      await client.cancel(job);
    } finally {
      await proxy.close();
    }
  });

  it('gives up waiting with WaitTimeoutError, and stops on an aborted signal', async () => {
    const job = await client.submit(demoCount, { to: 1000, delayMs: 100 });
    const timedOut = await client.wait(job, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(WaitTimeoutError);
    expect((timedOut as WaitTimeoutError).jobId).toBe(job.id);
    const controller = new AbortController();
    const waiting = client.wait(job, { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(new Error('enough'));
    expect(((await waiting) as Error).message).toBe('enough');
    await client.cancel(job);
  });

  it('streams all my events until I stop', async () => {
    const { seen, jobId } = await collectUntil(
      client.allEvents({ signal: AbortSignal.timeout(30_000) }),
      (e, id) => e.type === 'lifecycle' && e.data.jobId === id && e.data.status === 'succeeded',
    );
    const mine = seen.filter((e) => e.type === 'lifecycle' && e.data.jobId === jobId);
    expect(mine.map((e) => (e.type === 'lifecycle' ? e.data.status : '')).at(-1)).toBe('succeeded');
  });

  it('streams only the statuses asked for', async () => {
    const { seen, jobId } = await collectUntil(
      client.allEvents({ status: ['succeeded', 'failed'], signal: AbortSignal.timeout(30_000) }),
      (e, id) => e.type === 'lifecycle' && e.data.jobId === id,
    );
    // n.b. queued, running and progress events of the job came first, and were not sent
    expect(
      seen
        .filter((e) => e.type !== 'lifecycle' || e.data.jobId === jobId)
        .map((e) => (e.type === 'lifecycle' ? e.data.status : e.type)),
    ).toEqual(['succeeded']);
  });

  it('creates, reads, updates, triggers and deletes a schedule', async () => {
    const created = await client.schedules.create({
      name: 'client test',
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      job: { type: demoCount, payload: { to: 2 } },
    });
    expect(created.job).toMatchObject({ type: 'demo.count', payload: { to: 2, delayMs: 0 } });
    expect(created.nextFireTimes).toHaveLength(5);
    const updated = await client.schedules.update(created.id, { enabled: false });
    expect(updated.enabled).toBe(false);
    expect(updated.nextFireTimes).toEqual([]);
    const fired = await client.schedules.trigger(created.id);
    expect(fired.kind).toBe('job');
    if (fired.kind !== 'job') throw new Error('expected a job');
    expect(fired.job.scheduleId).toBe(created.id);
    expect((await client.wait(fired.job, { timeoutMs: 30_000 })).status).toBe('succeeded');
    const ids: string[] = [];
    for await (const s of client.schedules.list({ pageSize: 1 })) ids.push(s.id);
    expect(ids).toContain(created.id);
    expect((await client.schedules.get(created.id)).enabled).toBe(false);

    const badCron = await client.schedules
      .create({
        name: 'never',
        cron: '0 0 31 2 *',
        job: { type: 'demo.count', payload: { to: 1 } },
      })
      .catch((e: unknown) => e);
    expect(badCron).toBeInstanceOf(ValidationError);
    expect((badCron as ValidationError).errors.map((e) => e.field)).toContain('cron');

    await client.schedules.delete(created.id);
    await expect(client.schedules.get(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('submits a workflow, follows it to the end, lists it, and cannot cancel it once finished', async () => {
    const submitted = await client.workflows.submit({
      name: 'two counts',
      workflow: {
        chain: [
          step(demoCount, { to: 2 }),
          { type: 'demo.count', payload: { to: 1 }, input: { into: 'to', select: 'counted' } },
        ],
      },
    });
    expect(submitted.status).toBe('running');
    let wf = submitted;
    const deadline = Date.now() + 30_000;
    while (wf.status === 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      wf = await client.workflows.get(submitted.id);
    }
    // n.b. the whole resource, so a failure shows each step's state and error
    expect(wf).toMatchObject({ status: 'succeeded' });
    expect(wf.counts['succeeded']).toBe(2);
    const last = wf.steps.filter((s) => s.kind === 'job').at(-1)!;
    expect((await client.get<{ counted: number }>(last.jobId!)).result?.counted).toBe(2);
    const listed: string[] = [];
    for await (const w of client.workflows.list({ status: 'succeeded' })) listed.push(w.id);
    expect(listed).toContain(submitted.id);
    await expect(client.workflows.cancel(submitted.id)).rejects.toBeInstanceOf(ConflictError);

    const invalid = await client.workflows
      .submit({
        workflow: {
          chain: [step(demoCount, { to: 1 }), { type: 'demo.count', payload: { to: 'x' } }],
        },
      })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).errors.map((e) => e.field)).toContain(
      'workflow.chain.1.payload.to',
    );
  });

  it('reads the job type catalogue', async () => {
    const types = await client.jobTypes();
    const demo = types.find((t) => t.name === 'demo.count');
    expect(demo?.payloadSchema).toMatchObject({ type: 'object' });
    expect(demo?.queue).toBe('processor');
    expect(demo?.worker.live).toBe(true);
  });
});

describe('ConveyorClient without a usable API', () => {
  let silent: Server;
  beforeAll(async () => {
    // n.b. accepts connections and never answers
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('reports a refused connection as ConveyorNetworkError NETWORK', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const c = new ConveyorClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't' });
    const err = await c.get('0123456789abcdef01234567').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConveyorNetworkError);
    expect((err as ConveyorNetworkError).code).toBe('NETWORK');
    expect((err as ConveyorNetworkError).message).toContain('ECONNREFUSED');
  });

  it('reports no answer within timeoutMs as ConveyorNetworkError TIMEOUT', async () => {
    const port = (silent.address() as AddressInfo).port;
    const c = new ConveyorClient({
      baseUrl: `http://127.0.0.1:${port}`,
      token: 't',
      timeoutMs: 200,
    });
    const err = await c.jobTypes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConveyorNetworkError);
    expect((err as ConveyorNetworkError).code).toBe('TIMEOUT');
  });

  it('turns a 429 into RateLimitedError with retryAfterMs', async () => {
    const limited = await startTestApi({ RATE_LIMIT_PER_MINUTE: '1' });
    try {
      const c = new ConveyorClient({
        baseUrl: limited.baseUrl,
        token: await limited.token({ sub: 'bob', email: 'bob@example.com' }),
      });
      // n.b. a fixed window per clock minute: across a boundary two pass, never three
      let err: unknown;
      for (let i = 0; i < 3 && !(err instanceof RateLimitedError); i++)
        err = await c.submit(demoCount, { to: 1 }).then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(RateLimitedError);
      expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobResource } from '@conveyor/contracts';
import { waitFor } from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;
let alice: string;

beforeAll(async () => {
  api = await startTestApi();
  alice = await api.token({ sub: 'alice' });
});

afterAll(async () => {
  await api?.close();
});

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads an SSE response until it ends, collecting its events. */
async function readEvents(res: Response, onEvent: (e: SseEvent) => void): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) {
        const e = { event, data: JSON.parse(data) as Record<string, unknown> };
        events.push(e);
        onEvent(e);
      }
    }
  }
  return events;
}

describe('job event streams', () => {
  it('sends the current state, then the cancelled event, then ends', async () => {
    const submitted = await api.call('/v1/jobs', alice, {
      method: 'POST',
      body: JSON.stringify({ type: 'demo.count', payload: { to: 5 } }),
    });
    const job = (await submitted.json()) as JobResource;
    const res = await api.call(`/v1/jobs/${job.id}/events`, alice);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    let sawInitial = false;
    const done = readEvents(res, (e) => {
      if (e.event === 'job') sawInitial = true;
    });
    await waitFor(() => sawInitial, { what: 'the initial job event' });
    const cancel = await api.call(`/v1/jobs/${job.id}/cancel`, alice, { method: 'POST' });
    expect(cancel.status).toBe(200);
    const events = await done;
    expect(events[0]).toMatchObject({ event: 'job', data: { id: job.id, status: 'queued' } });
    expect(events.at(-1)).toMatchObject({
      event: 'lifecycle',
      data: { jobId: job.id, status: 'cancelled', owner: 'alice' },
    });
  });

  it('streams only the statuses asked for on /v1/events?status=', async () => {
    const abort = new AbortController();
    const seen: SseEvent[] = [];
    const res = await api.call('/v1/events?status=cancelled', alice, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reading = readEvents(res, (e) => seen.push(e)).catch(() => []);
    try {
      const submitted = await api.call('/v1/jobs', alice, {
        method: 'POST',
        body: JSON.stringify({ type: 'demo.count', payload: { to: 5 } }),
      });
      const job = (await submitted.json()) as JobResource;
      await api.call(`/v1/jobs/${job.id}/cancel`, alice, { method: 'POST' });
      await waitFor(() => seen.some((e) => e.data['jobId'] === job.id), {
        what: 'the cancelled event',
      });
      // n.b. the queued event was published before the cancelled one, on the same path
      expect(seen.filter((e) => e.data['jobId'] === job.id)).toEqual([
        expect.objectContaining({
          event: 'lifecycle',
          data: expect.objectContaining({ status: 'cancelled' }),
        }),
      ]);
    } finally {
      abort.abort();
      await reading;
    }
  });

  it('refuses an unknown status on /v1/events with a field error', async () => {
    const res = await api.call('/v1/events?status=succeeded,done', alice);
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors?: { field: string; message: string }[] };
    expect(problem.errors).toEqual([
      expect.objectContaining({ field: 'status', message: expect.stringContaining("got 'done'") }),
    ]);
  });

  it('answers 404 for another owner’s job stream', async () => {
    const submitted = await api.call('/v1/jobs', alice, {
      method: 'POST',
      body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
    });
    const job = (await submitted.json()) as JobResource;
    const res = await api.call(`/v1/jobs/${job.id}/events`, await api.token({ sub: 'bob' }));
    expect(res.status).toBe(404);
  });
});

describe('workflow events on /v1/events', () => {
  it('sends workflow.running and workflow.cancelled to the owner only', async () => {
    const aborts = [new AbortController(), new AbortController()];
    const aliceEvents: SseEvent[] = [];
    const bobEvents: SseEvent[] = [];
    const bob = await api.token({ sub: 'bob' });
    const mine = await api.call('/v1/events', alice, { signal: aborts[0]!.signal });
    const theirs = await api.call('/v1/events', bob, { signal: aborts[1]!.signal });
    expect(mine.status).toBe(200);
    const reading = [
      readEvents(mine, (e) => aliceEvents.push(e)).catch(() => []),
      readEvents(theirs, (e) => bobEvents.push(e)).catch(() => []),
    ];
    try {
      // n.b. the hub binds its queue when the API starts; the stream is live once it answered
      const submitted = await api.call('/v1/workflows', alice, {
        method: 'POST',
        body: JSON.stringify({
          workflow: { chain: [{ type: 'demo.count', payload: { to: 600, delayMs: 100 } }] },
        }),
      });
      expect(submitted.status).toBe(202);
      const wf = (await submitted.json()) as { id: string };
      const named = (name: string) =>
        aliceEvents.some((e) => e.event === name && e.data['workflowId'] === wf.id);
      await waitFor(() => named('workflow.running'), { what: 'workflow.running' });
      const cancel = await api.call(`/v1/workflows/${wf.id}/cancel`, alice, { method: 'POST' });
      expect(cancel.status).toBe(200);
      await waitFor(() => named('workflow.cancelled'), { what: 'workflow.cancelled' });
      const cancelled = aliceEvents.find((e) => e.event === 'workflow.cancelled')!;
      expect(cancelled.data).toMatchObject({ owner: 'alice', status: 'cancelled' });
      expect(bobEvents.filter((e) => e.event.startsWith('workflow.'))).toEqual([]);
    } finally {
      for (const a of aborts) a.abort();
      await Promise.all(reading);
    }
  });
});

describe('documents and probes', () => {
  it('serves openapi.json with the paths and schemas, and /docs', async () => {
    const doc = (await (await api.call('/openapi.json', null)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/jobs',
      '/v1/jobs/batch',
      '/v1/jobs/{id}',
      '/v1/jobs/{id}/events',
      '/v1/uploads',
      '/v1/job-types',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    for (const name of ['SubmitJob', 'JobResource', 'Problem', 'Payload.demo.count'])
      expect(doc.components.schemas).toHaveProperty([name]);
    const docs = await api.call('/docs', null);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(await docs.text()).toContain('/openapi.json');
  });

  it('answers /readyz, /v1/job-types and /v1/queues', async () => {
    expect((await api.call('/readyz', null)).status).toBe(200);
    const types = (await (await api.call('/v1/job-types', alice)).json()) as { name: string }[];
    expect(types.map((t) => t.name)).toContain('demo.count');
    const queues = (await (await api.call('/v1/queues', alice)).json()) as {
      queues: { name: string }[];
      jobs: Record<string, number>;
    };
    expect(queues.queues.map((q) => q.name)).toContain(
      `${api.deps.runtime.topology.prefix}.processor`,
    );
    expect(queues.jobs['queued']).toBeGreaterThanOrEqual(1);
    const metrics = await (await api.call('/metrics', null)).text();
    expect(metrics).toContain('conveyor_http_requests_total');
    expect(metrics).toContain('conveyor_jobs_submitted_total{type="demo.count"');
  });
});

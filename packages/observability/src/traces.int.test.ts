import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@conveyor/testkit';
import { startConveyorSystem, type ConveyorSystem } from './testing/conveyor-system.js';
import {
  startOtlpReceiver,
  type OtlpEncoding,
  type OtlpReceiver,
  type ReceivedSpan,
} from './testing/otlp-receiver.js';

let receiver: OtlpReceiver;
let system: ConveyorSystem;
let token: string;

/** Starts a receiver and the four services exporting to it with `env`'s protocol settings. */
function withSystem(env: Record<string, string>): void {
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    system = await startConveyorSystem({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      ...env,
    });
    token = await system.token('tracer');
  }, 120_000);

  afterAll(async () => {
    await system?.stop();
    await receiver?.close();
  });
}

async function submit(body: unknown, traceparent?: string): Promise<{ id: string; res: Response }> {
  const res = await system.call('/v1/jobs', token, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: traceparent ? { traceparent } : {},
  });
  expect(res.status).toBe(202);
  return { id: ((await res.clone().json()) as { id: string }).id, res };
}

async function finalStatus(id: string): Promise<string> {
  return waitFor(
    async () => {
      const job = (await (await system.call(`/v1/jobs/${id}`, token)).json()) as { status: string };
      return ['succeeded', 'failed'].includes(job.status) ? job.status : null;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `job ${id} final` },
  );
}

function spansOf(traceId: string): ReceivedSpan[] {
  return receiver.spans.filter((s) => s.traceId === traceId);
}

/** Follows parents from `span` up to the root; returns names, root first. */
function ancestry(span: ReceivedSpan, all: ReceivedSpan[]): string[] {
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const chain: string[] = [];
  for (let s: ReceivedSpan | undefined = span; s; s = byId.get(s.parentSpanId))
    chain.unshift(s.name);
  return chain;
}

/** One job with an incoming traceparent yields one trace, every span in `encoding`. */
async function oneTraceInParentOrder(encoding: OtlpEncoding): Promise<void> {
  const traceId = randomBytes(16).toString('hex');
  const callerSpan = randomBytes(8).toString('hex');
  const { id, res } = await submit(
    { type: 'demo.count', payload: { to: 2, delayMs: 10 } },
    `00-${traceId}-${callerSpan}-01`,
  );
  expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  expect(await finalStatus(id)).toBe('succeeded');
  const chain = ['POST /v1/jobs', 'publish demo.count', 'process demo.count', 'run demo.count'];
  // n.b. each service exports its own batches: wait for every span, not just the last one
  await waitFor(() => chain.every((name) => spansOf(traceId).some((s) => s.name === name)), {
    timeoutMs: 20_000,
    intervalMs: 200,
    what: 'the request, publish, consume and handler spans at the receiver',
  });
  const spans = spansOf(traceId);
  const http = spans.find((s) => s.name === 'POST /v1/jobs');
  expect(http).toMatchObject({ parentSpanId: callerSpan, kind: 2, service: 'conveyor-api' });
  const run = spans.find((s) => s.name === 'run demo.count')!;
  expect(ancestry(run, spans)).toEqual(chain);
  const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
  expect(byName['publish demo.count']).toMatchObject({ kind: 4, service: 'conveyor-api' });
  expect(byName['process demo.count']).toMatchObject({ kind: 5, service: 'conveyor-processor' });
  expect(byName['run demo.count']!.attributes['conveyor.job_id']).toBe(id);
  // spans start in parent order
  const starts = chain.map((n) => BigInt(byName[n]!.startTimeUnixNano));
  expect([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(starts);
  expect(new Set(spans.map((s) => s.encoding))).toEqual(new Set([encoding]));
  expect(receiver.rejected).toEqual([]);
}

describe('traces exported over OTLP/HTTP protobuf (the default)', () => {
  withSystem({});

  it('one job with an incoming traceparent yields one trace: request -> publish -> consume -> handler', async () => {
    await oneTraceInParentOrder('protobuf');
  });

  it('a retried job keeps its trace: every attempt is a consume span of the same trace, promoted by the scheduler', async () => {
    const { id, res } = await submit({
      type: 'demo.count',
      payload: { to: 50, delayMs: 20 },
      timeoutMs: 150,
      maxAttempts: 2,
    });
    const traceId = /^00-([0-9a-f]{32})-/.exec(res.headers.get('traceresponse') ?? '')![1]!;
    expect(await finalStatus(id)).toBe('failed');
    await waitFor(() => spansOf(traceId).filter((s) => s.name === 'run demo.count').length === 2, {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'two handler spans',
    });
    const spans = spansOf(traceId);
    const publishes = spans.filter((s) => s.name === 'publish demo.count');
    expect(publishes.map((p) => p.service).sort()).toEqual(['conveyor-api', 'conveyor-scheduler']);
    for (const run of spans.filter((s) => s.name === 'run demo.count'))
      expect(ancestry(run, spans)[0]).toBe('POST /v1/jobs');
  });

  it('every schedule fire is the root of a trace of its own, which its job continues', async () => {
    const created = await system.call('/v1/schedules', token, {
      method: 'POST',
      body: JSON.stringify({
        name: 'traced every second',
        cron: '* * * * * *',
        job: { type: 'demo.count', payload: { to: 1, delayMs: 0 } },
      }),
    });
    expect(created.status).toBe(201);
    const scheduleId = ((await created.json()) as { id: string }).id;
    const fires = () =>
      receiver.spans.filter(
        (s) =>
          s.name === 'fire demo.count' &&
          s.attributes['conveyor.schedule_id'] === scheduleId &&
          s.attributes['conveyor.job_created'] === true,
      );
    const ran = (fire: ReceivedSpan) =>
      spansOf(fire.traceId).some((s) => s.name === 'run demo.count');
    try {
      await waitFor(() => fires().filter(ran).length >= 2, {
        timeoutMs: 30_000,
        intervalMs: 200,
        what: 'two schedule fires whose jobs ran, at the receiver',
      });
    } finally {
      await system.call(`/v1/schedules/${scheduleId}`, token, { method: 'DELETE' });
    }
    const traced = fires().filter(ran).slice(0, 2);
    expect(new Set(traced.map((f) => f.traceId)).size).toBe(2);
    expect(new Set(traced.map((f) => f.attributes['conveyor.job_id'])).size).toBe(2);
    for (const fire of traced) {
      expect(fire).toMatchObject({ parentSpanId: '', service: 'conveyor-scheduler' });
      const spans = spansOf(fire.traceId);
      const run = spans.find((s) => s.name === 'run demo.count')!;
      expect(run.attributes['conveyor.job_id']).toBe(fire.attributes['conveyor.job_id']);
      expect(ancestry(run, spans)).toEqual([
        'fire demo.count',
        'publish demo.count',
        'process demo.count',
        'run demo.count',
      ]);
    }
  });

  it("a manual trigger's fire is a child of the trigger request, in the caller's trace", async () => {
    const created = await system.call('/v1/schedules', token, {
      method: 'POST',
      body: JSON.stringify({
        name: 'traced trigger',
        cron: '0 0 1 1 *',
        job: { type: 'demo.count', payload: { to: 1, delayMs: 0 } },
      }),
    });
    expect(created.status).toBe(201);
    const scheduleId = ((await created.json()) as { id: string }).id;
    const traceId = randomBytes(16).toString('hex');
    const res = await system.call(`/v1/schedules/${scheduleId}/trigger`, token, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(res.status).toBe(202);
    const jobId = ((await res.json()) as { id: string }).id;
    expect(await finalStatus(jobId)).toBe('succeeded');
    const chain = ['fire demo.count', 'publish demo.count', 'process demo.count', 'run demo.count'];
    await waitFor(
      () =>
        chain.every((name) => spansOf(traceId).some((s) => s.name === name)) &&
        spansOf(traceId).some((s) => s.kind === 2),
      { timeoutMs: 20_000, intervalMs: 200, what: 'the trigger trace at the receiver' },
    );
    await system.call(`/v1/schedules/${scheduleId}`, token, { method: 'DELETE' });
    const spans = spansOf(traceId);
    const run = spans.find((s) => s.name === 'run demo.count')!;
    const [request, ...rest] = ancestry(run, spans);
    expect(request).toMatch(/^POST \/v1\/schedules\/.+\/trigger$/);
    expect(rest).toEqual(chain);
    expect(spans.find((s) => s.name === 'fire demo.count')).toMatchObject({
      service: 'conveyor-api',
      attributes: expect.objectContaining({ 'conveyor.job_id': jobId }),
    });
  });

  it('every worker log line about the job carries its jobId and traceId', async () => {
    const traceId = randomBytes(16).toString('hex');
    const { id } = await submit(
      { type: 'demo.count', payload: { to: 50, delayMs: 20 }, timeoutMs: 150, maxAttempts: 1 },
      `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    );
    expect(await finalStatus(id)).toBe('failed');
    const about = system.processor.lines.filter((l) => l.includes(id));
    expect(about.length).toBeGreaterThan(0);
    for (const line of about) expect(JSON.parse(line)).toMatchObject({ jobId: id, traceId });
  });
});

describe('traces exported over OTLP/HTTP JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)', () => {
  withSystem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });

  it('one job with an incoming traceparent yields one trace: request -> publish -> consume -> handler', async () => {
    await oneTraceInParentOrder('json');
  });
});

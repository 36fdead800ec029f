import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import {
  JobCallbacks,
  WebhookSecretRepository,
  type CallbackBody,
  type JobDoc,
  type NewJob,
} from '@conveyor/jobs';
import { submitJob } from '@conveyor/jobs/dispatch';
import { startJobStack, type JobStack } from '@conveyor/jobs/testing';
import { startService, waitFor, type ServiceProcess } from '@conveyor/testkit';
import { startTestReceiver, type ReceivedRequest, type TestReceiver } from './test-receiver.js';

let stack: JobStack;
let receiver: TestReceiver;
let secret: string;
let callbacks: JobCallbacks;
const procs: ServiceProcess[] = [];
const OWNER = 'hooks-e2e';

function verified(req: ReceivedRequest): unknown {
  return new Webhook(secret).verify(req.body, {
    'webhook-id': String(req.headers['webhook-id']),
    'webhook-timestamp': String(req.headers['webhook-timestamp']),
    'webhook-signature': String(req.headers['webhook-signature']),
  });
}

async function submit(over: Partial<NewJob> & Pick<NewJob, 'type' | 'payload'>): Promise<JobDoc> {
  const { job } = await submitJob(stack.core, {
    priority: 'normal',
    owner: OWNER,
    maxAttempts: 4,
    timeoutMs: 30_000,
    runAt: new Date(),
    ...over,
  });
  return job;
}

const hook = (path: string, body: unknown = { path }) =>
  submit({ type: 'webhook.deliver', payload: { url: `${receiver.url}${path}`, body } });

const final = (id: JobDoc['_id']) =>
  waitFor(
    async () => {
      const j = await stack.repo.get(id.toHexString());
      return j && ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : null;
    },
    { timeoutMs: 45_000, intervalMs: 100, what: `job ${id.toHexString()} final` },
  );

const byPath = (path: string) => receiver.requests.filter((r) => r.path === path);

beforeAll(async () => {
  stack = await startJobStack('hooks');
  receiver = await startTestReceiver();
  secret = (await new WebhookSecretRepository(stack.conn).create(OWNER))!.secret;
  callbacks = new JobCallbacks(stack.conn, stack.core, stack.log);
  await callbacks.ensureIndexes();
  receiver.reply = (req, res, _n) => {
    const seen = byPath(req.path).length;
    if (req.path === '/flaky' && seen === 1)
      res.writeHead(503, { 'retry-after': '1' }).end('later');
    else if (req.path === '/bad') res.writeHead(400).end('{"error":"unknown event type"}');
    else res.writeHead(200).end('ok');
  };
  const env = { ...stack.env, RETRY_BASE_MS: '200', RETRY_MAX_MS: '400' };
  procs.push(await startService('processor', { ...env, WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' }));
  procs.push(
    await startService('scheduler', {
      ...env,
      SCAN_INTERVAL_MS: '200',
      CALLBACK_SWEEP_MS: '1000',
      DIGEST_CRON: 'off',
    }),
  );
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await receiver?.close();
  await stack?.teardown();
});

describe('webhooks end to end (processor + scheduler processes, real receiver)', () => {
  it('delivers each job exactly once on success, signed, with a webhook-id per job', async () => {
    const jobs = await Promise.all([1, 2, 3, 4, 5].map((i) => hook(`/ok/${i}`, { i })));
    for (const j of jobs) expect((await final(j._id)).status).toBe('succeeded');
    await new Promise((r) => setTimeout(r, 1500)); // room for a duplicate to show up
    for (const [i, j] of jobs.entries()) {
      const got = byPath(`/ok/${i + 1}`);
      expect(got).toHaveLength(1);
      expect(got[0]!.headers['webhook-id']).toBe(`msg_${j._id.toHexString()}`);
      expect(verified(got[0]!)).toEqual({ i: i + 1 });
    }
  });

  it('retries after a 503 with Retry-After, then succeeds with the same webhook-id', async () => {
    const job = await hook('/flaky');
    const done = await final(job._id);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const got = byPath('/flaky');
    expect(got).toHaveLength(2);
    expect(got[1]!.headers['webhook-id']).toBe(got[0]!.headers['webhook-id']);
    // Retry-After: 1 was honoured, not the 200–400 ms backoff (a lower bound: load only adds)
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('fails a 400 at once with the status and the reply in the error', async () => {
    const done = await final((await hook('/bad'))._id);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toMatchObject({ code: 'WEBHOOK_HTTP_400', retryable: false });
    expect(done.error!.message).toContain('unknown event type');
  });

  it('refuses the metadata address and an unlisted loopback for good, sending nothing', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      `http://127.0.0.2:${receiver.port}/`,
    ]) {
      const job = await submit({ type: 'webhook.deliver', payload: { url, body: {} } });
      const done = await final(job._id);
      expect(done.status).toBe('failed');
      expect(done.attempts).toBe(1);
      expect(done.error).toMatchObject({ code: 'WEBHOOK_DESTINATION_REFUSED', retryable: false });
    }
  });

  it('defers deliveries over the per-destination limit without spending their attempts', async () => {
    // The receiver holds every /slow request: two fill the processor's limit for this
    // destination (WEBHOOK_DESTINATION_CONCURRENCY, 2), the others must wait their turn.
    const held: (() => void)[] = [];
    const answer = receiver.reply;
    receiver.reply = (req, res, n) => {
      if (req.path === '/slow') held.push(() => res.writeHead(200).end('ok'));
      else answer(req, res, n);
    };
    try {
      const jobs = await Promise.all(
        [1, 2, 3, 4].map((i) =>
          submit({
            type: 'webhook.deliver',
            payload: { url: `${receiver.url}/slow`, body: { i } },
            maxAttempts: 1,
          }),
        ),
      );
      const ids = jobs.map((j) => j._id);
      // Deferred: back to scheduled with the attempt given back, while two are held.
      await waitFor(
        async () => {
          const docs = await stack.repo.model.find({ _id: { $in: ids } }).lean<JobDoc[]>();
          const deferred = docs.filter((d) => d.status === 'scheduled' && d.attempts === 0);
          return held.length === 2 && deferred.length > 0;
        },
        { timeoutMs: 45_000, intervalMs: 50, what: 'two deliveries held and one deferred' },
      );
      for (const release of held.splice(0)) release();
      receiver.reply = (req, res, n) => {
        if (req.path === '/slow') res.writeHead(200).end('ok');
        else answer(req, res, n);
      };
      for (const j of jobs) {
        const done = await final(j._id);
        // maxAttempts 1: a busy destination spending attempts would have failed these
        expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
      }
      expect(byPath('/slow')).toHaveLength(4);
    } finally {
      receiver.reply = answer;
    }
  });

  it('delivers completion callbacks with the job resource on success and on failure', async () => {
    const ok = await submit({ type: 'demo.count', payload: { to: 2 } });
    // n.b. an invalid payload straight into the store: the worker fails it for good
    const bad = await submit({ type: 'demo.count', payload: { to: -1 }, maxAttempts: 1 });
    await callbacks.register([
      { job: ok, url: `${receiver.url}/cb/ok` },
      { job: bad, url: `${receiver.url}/cb/bad` },
    ]);
    await final(ok._id);
    await final(bad._id);
    const cbOk = await waitFor(() => byPath('/cb/ok')[0] ?? null, {
      timeoutMs: 30_000,
      what: 'success callback',
    });
    const cbBad = await waitFor(() => byPath('/cb/bad')[0] ?? null, {
      timeoutMs: 30_000,
      what: 'failure callback',
    });
    const okBody = verified(cbOk) as CallbackBody;
    expect(okBody.type).toBe('job.succeeded');
    expect(okBody.data).toMatchObject({
      id: ok._id.toHexString(),
      status: 'succeeded',
      result: { counted: 2 },
    });
    const badBody = verified(cbBad) as CallbackBody;
    expect(badBody.type).toBe('job.failed');
    expect(badBody.data).toMatchObject({
      id: bad._id.toHexString(),
      status: 'failed',
      error: { code: 'INVALID_PAYLOAD' },
    });
    // one delivery job per callback, whoever noticed the final state
    const deliveries = await stack.repo.model.countDocuments({
      idempotencyKey: { $regex: '^callback:' },
    });
    expect(deliveries).toBe(2);
    await new Promise((r) => setTimeout(r, 1500));
    expect(byPath('/cb/ok')).toHaveLength(1);
    expect(byPath('/cb/bad')).toHaveLength(1);
  });
});

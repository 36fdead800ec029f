import { inertContext } from '@conveyor/jobs/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import mongoose, { type Connection } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import { webhookDeliver, type WebhookDeliverPayload } from '@conveyor/contracts';
import {
  DeferJobError,
  PermanentJobError,
  RetryableJobError,
  WebhookSecretRepository,
  verifyWebhook,
  type JobContext,
} from '@conveyor/jobs';
import { createLogger } from '@conveyor/platform';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import { AddressPolicy } from './address-policy.js';
import { DestinationLimiter } from './destination-limiter.js';
import { startTestReceiver, type TestReceiver } from './test-receiver.js';
import { webhookDeliverHandler, type WebhookDeliverDeps } from './webhook-deliver.js';

let conn: Connection;
let secrets: WebhookSecretRepository;
let receiver: TestReceiver;
let secret: string;
let seq = 0;

beforeAll(async () => {
  const { mongoUrl } = await infra();
  conn = await mongoose.createConnection(mongoUrlForDb(mongoUrl, uniqueName('hook'))).asPromise();
  secrets = new WebhookSecretRepository(conn);
  secret = (await secrets.create('alice'))!.secret;
  receiver = await startTestReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await conn?.dropDatabase();
  await conn?.close();
});

beforeEach(() => {
  receiver.requests.length = 0;
  receiver.reply = (_req, res) => {
    res.statusCode = 204;
    res.end();
  };
});

function deps(over: Partial<WebhookDeliverDeps> = {}): WebhookDeliverDeps {
  return {
    secrets,
    policy: new AddressPolicy(['127.0.0.1/32']),
    limiter: new DestinationLimiter(2),
    maxRetryAfterMs: 60_000,
    busyRetryMs: 1000,
    ...over,
  };
}

function run(
  payload: Record<string, unknown>,
  d: WebhookDeliverDeps = deps(),
  opts: { jobId?: string; owner?: string; attempt?: number } = {},
) {
  const id = opts.jobId ?? (++seq).toString(16).padStart(24, '0');
  const ctx: JobContext<WebhookDeliverPayload> = {
    job: {
      id,
      type: webhookDeliver.name,
      attempt: opts.attempt ?? 1,
      maxAttempts: 8,
      owner: opts.owner ?? 'alice',
      ownerEmail: null,
      priority: 'normal',
      payload: webhookDeliver.payload.parse(payload),
      createdAt: new Date(),
      scheduleId: null,
      correlationId: id,
    },
    signal: new AbortController().signal,
    progress: () => undefined,
    log: createLogger('test', 'silent'),
    ...inertContext(),
  };
  return webhookDeliverHandler(d).handle(ctx);
}

async function failure(
  p: Promise<unknown>,
): Promise<PermanentJobError | RetryableJobError | DeferJobError> {
  try {
    await p;
  } catch (err) {
    if (
      err instanceof PermanentJobError ||
      err instanceof RetryableJobError ||
      err instanceof DeferJobError
    )
      return err;
    throw err;
  }
  throw new Error('expected the delivery to fail');
}

describe('webhook.deliver against a real receiver', () => {
  it('POSTs the JSON body with Standard Webhooks headers a receiver can verify', async () => {
    const body = { type: 'invoice.paid', data: { id: 'inv_1', amount: 4200, note: 'a.b $x ü' } };
    const result = await run(
      { url: `${receiver.url}/hooks?x=1`, body, headers: { 'x-tenant': 't1' } },
      deps(),
      {
        jobId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
      },
    );
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks?x=1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-tenant']).toBe('t1');
    expect(req.headers['webhook-id']).toBe('msg_aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(JSON.parse(req.body)).toEqual(body);
    // The specification's reference library verifies it, and so does our own receiver side.
    const verified = new Webhook(secret).verify(req.body, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    });
    expect(verified).toEqual(body);
    const headers = {
      id: String(req.headers['webhook-id']),
      timestamp: String(req.headers['webhook-timestamp']),
      signature: String(req.headers['webhook-signature']),
    };
    expect(verifyWebhook(secret, headers, req.body)).toBe(true);
    expect(verifyWebhook(secret, headers, req.body.replace('4200', '4201'))).toBe(false);
    expect(() =>
      new Webhook(secret).verify(req.body + ' ', { ...req.headers } as Record<string, string>),
    ).toThrow();
    expect(result).toMatchObject({
      status: 204,
      webhookId: 'msg_aaaaaaaaaaaaaaaaaaaaaaaa',
      truncated: false,
    });
  });

  it('sends the same webhook-id on every attempt of a job, freshly signed', async () => {
    const jobId = 'bbbbbbbbbbbbbbbbbbbbbbbb';
    await run({ url: receiver.url, body: { n: 1 } }, deps(), { jobId, attempt: 1 });
    await run({ url: receiver.url, body: { n: 1 } }, deps(), { jobId, attempt: 2 });
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([`msg_${jobId}`, `msg_${jobId}`]);
  });

  it('signs with the previous secret too while a rotation is in its grace period', async () => {
    await secrets.create('rotor');
    const old = await secrets.signingSecrets('rotor');
    const rotated = (await secrets.rotate('rotor', 60_000))!;
    await run({ url: receiver.url, body: { r: 1 } }, deps(), { owner: 'rotor' });
    const req = receiver.requests[0]!;
    const h = {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    };
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(rotated.secret).verify(req.body, h)).toEqual({ r: 1 });
    expect(new Webhook(old[0]!).verify(req.body, h)).toEqual({ r: 1 });
  });

  it('honours Retry-After on 503 and 429, and retries other 5xx with backoff', async () => {
    receiver.reply = (_req, res) => {
      res.writeHead(503, { 'retry-after': '2' }).end('busy');
    };
    const e503 = await failure(run({ url: receiver.url, body: {} }));
    expect(e503).toBeInstanceOf(RetryableJobError);
    expect(e503).toMatchObject({ code: 'WEBHOOK_HTTP_503', retryAfterMs: 2000 });
    receiver.reply = (_req, res) => {
      res.writeHead(429, { 'retry-after': '5' }).end();
    };
    expect(await failure(run({ url: receiver.url, body: {} }))).toMatchObject({
      code: 'WEBHOOK_HTTP_429',
      retryAfterMs: 5000,
      retryable: true,
    });
    receiver.reply = (_req, res) => {
      res.writeHead(500).end('oops');
    };
    const e500 = await failure(run({ url: receiver.url, body: {} }));
    expect(e500).toMatchObject({
      code: 'WEBHOOK_HTTP_500',
      retryable: true,
      retryAfterMs: undefined,
    });
  });

  it('fails at once on 400 with the status and a bounded excerpt of the reply', async () => {
    receiver.reply = (_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad signature ${'x'.repeat(5000)}`);
    };
    const err = await failure(run({ url: receiver.url, body: {} }));
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err.code).toBe('WEBHOOK_HTTP_400');
    expect(err.message).toContain('receiver answered 400: bad signature');
    expect(err.message.length).toBeLessThan(700);
  });

  it('times out a receiver that never answers (retryable)', async () => {
    receiver.reply = () => undefined; // holds the request open
    const err = await failure(run({ url: receiver.url, body: {}, timeoutMs: 300 }));
    expect(err).toMatchObject({ code: 'WEBHOOK_TIMEOUT', retryable: true });
  });

  it('cuts an oversize reply at maxResponseBytes and still succeeds on 2xx', async () => {
    receiver.reply = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // 8 MiB, written in pieces; the client stops reading after 1 KiB
      const piece = Buffer.alloc(64 * 1024, 'y');
      let left = 128;
      const write = () => {
        while (left > 0) {
          left--;
          if (!res.write(piece)) return void res.once('drain', write);
        }
        res.end();
      };
      res.on('error', () => undefined);
      write();
    };
    const result = await run({ url: receiver.url, body: {}, maxResponseBytes: 1024 });
    expect(result.status).toBe(200);
    expect(result.truncated).toBe(true);
    expect(result.responseBytes).toBe(1024);
    expect(result.responseExcerpt.length).toBeLessThanOrEqual(501);
  });

  it('connection refused is retryable', async () => {
    const closed = await startTestReceiver();
    await closed.close();
    const err = await failure(run({ url: closed.url, body: {} }));
    expect(err).toMatchObject({ code: 'WEBHOOK_CONNECTION', retryable: true });
  });

  it('refuses loopback, private, link-local, metadata and mapped addresses without an allow-list', async () => {
    const strict = deps({ policy: new AddressPolicy() });
    const port = receiver.port;
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`, // a DNS name resolving to loopback
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://192.168.0.10/',
      'http://100.64.1.1/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://224.0.0.1/',
    ]) {
      const err = await failure(run({ url, body: {} }, strict));
      expect(err).toBeInstanceOf(PermanentJobError);
      expect(err.code).toBe('WEBHOOK_DESTINATION_REFUSED');
      expect(err.message).toMatch(/refused to deliver to .* resolves to/);
    }
    // The allow-list of 127.0.0.1 does not open the metadata address or other loopbacks.
    const allowed = deps();
    for (const url of ['http://169.254.169.254/', `http://127.0.0.2:${port}/`]) {
      expect((await failure(run({ url, body: {} }, allowed))).code).toBe(
        'WEBHOOK_DESTINATION_REFUSED',
      );
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('does not follow redirects by default; follows 307 when allowed, vetting the target', async () => {
    receiver.reply = (req, res) => {
      if (req.path === '/old') res.writeHead(307, { location: '/new' }).end();
      else if (req.path === '/meta')
        res.writeHead(308, { location: 'http://169.254.169.254/' }).end();
      else res.writeHead(200).end('ok');
    };
    const err = await failure(run({ url: `${receiver.url}/old`, body: {} }));
    expect(err).toMatchObject({ code: 'WEBHOOK_REDIRECT', retryable: false });
    const followed = await run({ url: `${receiver.url}/old`, body: { f: 1 }, maxRedirects: 1 });
    expect(followed).toMatchObject({ status: 200, url: `${receiver.url}/new` });
    expect(receiver.requests.map((r) => r.path)).toEqual(['/old', '/old', '/new']);
    const meta = await failure(run({ url: `${receiver.url}/meta`, body: {}, maxRedirects: 2 }));
    expect(meta.code).toBe('WEBHOOK_DESTINATION_REFUSED');
  });

  it('holds at most the per-destination limit in flight and defers the rest', async () => {
    const held: (() => void)[] = [];
    receiver.reply = (_req, res) => {
      held.push(() => res.writeHead(200).end());
    };
    const d = deps({ limiter: new DestinationLimiter(2) });
    const a = run({ url: receiver.url, body: {} }, d);
    const b = run({ url: receiver.url, body: {} }, d);
    while (receiver.requests.length < 2) await new Promise((r) => setTimeout(r, 20));
    const busy = await failure(run({ url: receiver.url, body: {} }, d));
    // Deferred, not failed: the job is scheduled again without spending an attempt.
    expect(busy).toBeInstanceOf(DeferJobError);
    expect(busy).toMatchObject({ code: 'WEBHOOK_DESTINATION_BUSY', retryable: true });
    expect(busy instanceof DeferJobError && busy.deferMs).toBeGreaterThanOrEqual(1000);
    for (const release of held) release();
    await Promise.all([a, b]);
    receiver.reply = (_req, res) => res.writeHead(200).end();
    expect(await run({ url: receiver.url, body: {} }, d)).toMatchObject({ status: 200 });
  });

  it('fails for good when the owner has no signing secret', async () => {
    const err = await failure(run({ url: receiver.url, body: {} }, deps(), { owner: 'nobody' }));
    expect(err).toMatchObject({ code: 'WEBHOOK_NO_SECRET', retryable: false });
  });
});

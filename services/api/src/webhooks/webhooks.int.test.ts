import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import type { JobResource } from '@conveyor/contracts';
import { signWebhook } from '@conveyor/jobs';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;
let alice: string;
let bob: string;

interface Problem {
  status: number;
  errors?: { field: string; message: string }[];
}
interface Revealed {
  secret: string;
  fingerprint: string;
  createdAt: string;
  previousExpiresAt: string | null;
}

beforeAll(async () => {
  api = await startTestApi();
  alice = await api.token({ sub: 'alice', email: 'alice@example.com' });
  bob = await api.token({ sub: 'bob' });
});

afterAll(async () => {
  await api?.close();
});

const post = (path: string, token: string, body?: unknown) =>
  api.call(path, token, {
    method: 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const hookJob = {
  type: 'webhook.deliver',
  payload: { url: 'https://example.com/hook', body: { a: 1 } },
};

describe('webhook secrets and callbacks through the API', () => {
  it('refuses webhook jobs and callbackUrl until the owner has a secret', async () => {
    const res = await post('/v1/jobs', bob, hookJob);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).errors).toEqual([
      { field: 'type', message: expect.stringContaining('POST /v1/webhooks/secret') },
    ]);
    const cb = await post('/v1/jobs/batch', bob, {
      jobs: [{ type: 'demo.count', payload: { to: 1 }, callbackUrl: 'https://example.com/cb' }],
    });
    expect(cb.status).toBe(400);
    expect(((await cb.json()) as Problem).errors?.[0]?.field).toBe('jobs.0.callbackUrl');
    expect(await api.jobCount()).toBe(0);
  });

  it('creates a secret once, reveals it only then, rotates with a grace period, deletes', async () => {
    const created = await post('/v1/webhooks/secret', alice);
    expect(created.status).toBe(201);
    const first = (await created.json()) as Revealed;
    expect(first.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(first.secret.slice(6), 'base64')).toHaveLength(32);
    expect((await post('/v1/webhooks/secret', alice)).status).toBe(409);

    const shown = await api.call('/v1/webhooks/secret', alice);
    const info = (await shown.json()) as Record<string, unknown>;
    expect(info).toEqual({
      createdAt: first.createdAt,
      fingerprint: first.fingerprint,
      previousExpiresAt: null,
    });
    expect(JSON.stringify(info)).not.toContain(first.secret.slice(6, 20));

    const rotated = await post('/v1/webhooks/secret/rotate', alice, { graceSeconds: 3600 });
    expect(rotated.status).toBe(201);
    const second = (await rotated.json()) as Revealed;
    expect(second.secret).not.toBe(first.secret);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(Date.parse(second.previousExpiresAt!) - Date.now()).toBeGreaterThan(3500_000);
    const signing = await api.deps.webhookSecrets.signingSecrets('alice');
    expect(signing).toEqual([second.secret, first.secret]);
    // what the processor signs with is what the caller was shown
    expect(signWebhook(signing[0]!, 'msg_1', 1, '{}')).toBe(
      signWebhook(second.secret, 'msg_1', 1, '{}'),
    );

    const bad = await post('/v1/webhooks/secret/rotate', alice, { graceSeconds: -1 });
    expect(bad.status).toBe(400);
    expect((await api.call('/v1/webhooks/secret', bob)).status).toBe(404);
    expect((await post('/v1/webhooks/secret/rotate', bob)).status).toBe(404);

    await post('/v1/webhooks/secret', bob);
    expect((await api.call('/v1/webhooks/secret', bob, { method: 'DELETE' })).status).toBe(204);
    expect((await api.call('/v1/webhooks/secret', bob, { method: 'DELETE' })).status).toBe(404);
  });

  it('accepts a webhook job and records a submitted callbackUrl (once per job)', async () => {
    const res = await post('/v1/jobs', alice, {
      type: 'demo.count',
      payload: { to: 1 },
      callbackUrl: 'https://example.com/done',
      idempotencyKey: 'cb-1',
    });
    expect(res.status).toBe(202);
    const job = (await res.json()) as JobResource;
    const again = await post('/v1/jobs', alice, {
      type: 'demo.count',
      payload: { to: 1 },
      callbackUrl: 'https://example.com/other',
      idempotencyKey: 'cb-1',
    });
    expect(again.status).toBe(200);
    const records = await api.deps.callbacks.model.find({}).lean();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      _id: new Types.ObjectId(job.id),
      owner: 'alice',
      url: 'https://example.com/done',
      state: 'pending',
    });
    expect((await post('/v1/jobs', alice, hookJob)).status).toBe(202);
  });

  it('validates webhook payloads and callback URLs with field errors', async () => {
    const res = await post('/v1/jobs', alice, {
      type: 'webhook.deliver',
      payload: {
        url: 'ftp://example.com/x',
        body: {},
        headers: { 'webhook-id': 'x' },
        timeoutMs: 5,
      },
      callbackUrl: 'not a url',
    });
    expect(res.status).toBe(400);
    const fields = ((await res.json()) as Problem).errors!.map((e) => e.field).sort();
    expect(fields).toEqual(['callbackUrl']);
    const payload = await post('/v1/jobs', alice, {
      type: 'webhook.deliver',
      payload: {
        url: 'ftp://example.com/x',
        body: {},
        headers: { 'webhook-id': 'x' },
        timeoutMs: 5,
      },
    });
    const pf = ((await payload.json()) as Problem).errors!.map((e) => e.field).sort();
    expect(pf).toEqual(['payload.headers.webhook-id', 'payload.timeoutMs', 'payload.url']);
    const key = await post('/v1/jobs', alice, {
      type: 'demo.count',
      payload: { to: 1 },
      idempotencyKey: 'callback:x',
    });
    expect(key.status).toBe(400);
  });

  it('lists both job types with their JSON Schemas, and the routes in OpenAPI', async () => {
    const types = (await (await api.call('/v1/job-types', alice)).json()) as {
      name: string;
      payloadSchema: { properties?: Record<string, unknown> };
    }[];
    const hook = types.find((t) => t.name === 'webhook.deliver');
    const report = types.find((t) => t.name === 'report.generate');
    expect(Object.keys(hook!.payloadSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['url', 'body', 'timeoutMs', 'maxResponseBytes', 'maxRedirects']),
    );
    expect(Object.keys(report!.payloadSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['title', 'source', 'chart', 'csv', 'email']),
    );
    const doc = (await (await api.call('/openapi.json', null)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths).toHaveProperty(['/v1/webhooks/secret']);
    expect(doc.paths).toHaveProperty(['/v1/webhooks/secret/rotate']);
    expect(doc.components.schemas).toHaveProperty(['Payload.webhook.deliver']);
    expect(doc.components.schemas).toHaveProperty(['Payload.report.generate']);
    expect(JSON.stringify(doc.components.schemas['SubmitJob'])).toContain('callbackUrl');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import { koaBody } from 'koa-body';
import { builtinJobTypes, topology } from '@conveyor/contracts';
import { BUCKETS, FileStore, ScheduleRepository, SEED_REGISTRANT } from '@conveyor/jobs/store';
import { createJobCore, type JobCore } from '@conveyor/jobs/dispatch';
import { WebhookSecretRepository } from '@conveyor/jobs/webhooks';
import { AmqpClient, connectMongo, createLogger, declareTopology } from '@conveyor/platform';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import { authenticate } from '../auth/middleware.js';
import type { AuthUser } from '../auth/user.js';
import { problemMiddleware } from '../http/errors.js';
import { SubmissionLimiter } from '../http/rate-limit.js';
import { mountRoutes } from '../http/route-table.js';
import { scheduleRoutes } from './routes.js';

const log = createLogger('test-schedule-routes', 'warn');
const users: Record<string, AuthUser> = {
  alice: { sub: 'alice', email: 'alice@example.com', admin: false },
  bob: { sub: 'bob', email: null, admin: false },
};
let conn: Awaited<ReturnType<typeof connectMongo>>;
let amqp: AmqpClient;
let server: Server;
let base: string;
let prefix: string;
let core: JobCore;

beforeAll(async () => {
  const env = await infra();
  prefix = uniqueName('sched-api');
  conn = await connectMongo(
    mongoUrlForDb(env.mongoUrl, uniqueName('sched_api').replace(/-/g, '_')),
    log,
  );
  const topo = topology(prefix);
  amqp = new AmqpClient({
    url: env.rabbitmqUrl,
    name: prefix,
    log,
    setup: (ch) => declareTopology(ch, topo),
  });
  await amqp.start();
  core = createJobCore({ mongo: conn, amqp, topology: topo, log });
  const repo = new ScheduleRepository(conn);
  await core.repo.ensureIndexes();
  await repo.ensureIndexes();
  // n.b. as the API does at start: the built-in types are known before their workers run
  await core.catalogue.seed(builtinJobTypes(), SEED_REGISTRANT);
  const routes = scheduleRoutes({
    repo,
    core,
    uploads: new FileStore(conn, BUCKETS.uploads),
    webhookSecrets: new WebhookSecretRepository(conn),
    limiter: new SubmissionLimiter(0),
  });
  const app = new Koa();
  app.use(problemMiddleware(log));
  app.use(koaBody());
  // n.b. the bearer token is the user's name: this test is about schedules, not JWTs.
  mountRoutes(
    app,
    routes,
    authenticate(async (token) => users[token] ?? Promise.reject(new Error('unknown user'))),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/schedules`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await core?.flush();
  const topo = topology(prefix);
  await amqp?.withChannel(async (ch) => {
    for (const q of ['mailer', 'processor'] as const) {
      await ch.deleteQueue(topo.queues.work(q, 'standard'));
      await ch.deleteQueue(topo.queues.work(q, 'priority'));
    }
    await ch.deleteQueue(topo.queues.dead);
    for (const ex of Object.values(topo.exchanges)) await ch.deleteExchange(ex);
  });
  await amqp?.close();
  await conn?.dropDatabase();
  await conn?.close();
});

const call = async (user: string, method: string, path = '', body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${user}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
};

describe('/v1/schedules', () => {
  it('creates, reads, lists, updates, triggers and deletes an owned schedule', async () => {
    const created = await call('alice', 'POST', '', {
      name: 'nightly',
      cron: '0 30 2 * * *',
      timezone: 'Europe/Berlin',
      job: { type: 'demo.count', payload: { to: 2 } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      enabled: true,
      misfirePolicy: 'skip',
      overlapPolicy: 'allow',
      owner: 'alice',
    });
    const next = created.body!['nextFireTimes'] as string[];
    expect(next).toHaveLength(5);
    expect(new Date(next[0]!).getUTCMinutes()).toBe(30);
    const id = created.body!['id'] as string;

    expect((await call('alice', 'GET', `/${id}`)).status).toBe(200);
    expect((await call('bob', 'GET', `/${id}`)).status).toBe(404);
    expect(((await call('bob', 'GET')).body!['items'] as unknown[]).length).toBe(0);
    expect(((await call('alice', 'GET')).body!['items'] as unknown[]).length).toBe(1);

    const disabled = await call('alice', 'PATCH', `/${id}`, { enabled: false });
    expect(disabled.body).toMatchObject({ enabled: false, nextFireTimes: [] });
    const enabled = await call('alice', 'PATCH', `/${id}`, { enabled: true, cron: '*/10 * * * *' });
    expect((enabled.body!['nextFireTimes'] as string[]).length).toBe(5);

    const triggered = await call('alice', 'POST', `/${id}/trigger`);
    expect(triggered.status).toBe(202);
    expect(triggered.body).toMatchObject({
      type: 'demo.count',
      scheduleId: id,
      owner: 'alice',
      status: 'queued',
    });
    expect((await call('bob', 'POST', `/${id}/trigger`)).status).toBe(404);
    expect((await call('bob', 'DELETE', `/${id}`)).status).toBe(404);
    expect((await call('alice', 'DELETE', `/${id}`)).status).toBe(204);
    expect((await call('alice', 'GET', `/${id}`)).status).toBe(404);
  });

  it('rejects bad cron expressions, time zones, unknown fields, types and payloads with 400', async () => {
    const job = { type: 'demo.count', payload: { to: 2 } };
    const bad = async (body: unknown) => {
      const r = await call('alice', 'POST', '', body);
      expect(r.status).toBe(400);
      return (r.body!['errors'] as { field: string }[]).map((e) => e.field);
    };
    expect(await bad({ name: 'x', cron: '* * *', job })).toEqual(['cron']);
    expect(await bad({ name: 'x', cron: '99 * * * *', job })).toEqual(['cron']);
    expect(await bad({ name: 'x', cron: '* * * * *', timezone: 'Mars/Base', job })).toEqual([
      'timezone',
    ]);
    expect(await bad({ name: 'x', cron: '* * * * *', job, owner: 'bob' })).toEqual(['(body)']);
    expect(
      await bad({ name: 'x', cron: '* * * * *', job: { type: 'nope.nope', payload: {} } }),
    ).toEqual(['job.type']);
    expect(
      (
        await bad({
          name: 'x',
          cron: '* * * * *',
          job: { type: 'demo.count', payload: { to: 'many' } },
        })
      )[0],
    ).toMatch(/^job\.payload/);
  });
});

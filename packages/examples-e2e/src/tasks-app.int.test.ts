import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConveyorClient, parseEventStream } from '@conveyor/client';
import { startTestApi, type TestApi } from '@conveyor/api/testing';
import {
  infra,
  mongoUrlForDb,
  startService,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import {
  installExample,
  startExample,
  type ExampleProcess,
  type InstalledExample,
} from './installed-example.js';

// examples/tasks-app as a user runs it: installed from the packed SDK and client with npm in
// a directory outside the repository, compiled with tsc, run as its own process against a
// real API, mailer, RabbitMQ, store and SMTP catcher.

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) dir = dirname(dir);
  return dir;
}

interface User {
  id: string;
  email: string;
}
interface Mail {
  to: string[];
  subject: string;
  text: string;
}

let api: TestApi;
let mailer: ServiceProcess;
let example: InstalledExample;
let app: ExampleProcess;
let appUrl: string;
let scheduleId: string;
let client: ConveyorClient;
let catcher: string;
let appEnv: Record<string, string>;
let tasksDb: string;

const call = async <T>(
  path: string,
  body?: unknown,
  method = body === undefined ? 'GET' : 'POST',
) => {
  const res = await fetch(`${appUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: (/json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : null) as T,
  };
};

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  const { rabbitmqUrl, mongoUrl, smtpCatcherUrl } = await infra();
  if (!smtpCatcherUrl)
    throw new Error('SMTP_CATCHER_URL is not set: start the catcher with `pnpm infra:up`');
  catcher = smtpCatcherUrl;
  const db = api.deps.runtime.mongo.name;
  const shared = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, db),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
  };
  const token = await api.token({ sub: 'tasks-app', email: 'tasks-app@example.com' });
  client = new ConveyorClient({ baseUrl: api.baseUrl, token });
  tasksDb = `${db}_tasks`;
  appEnv = {
    ...shared,
    CONVEYOR_URL: api.baseUrl,
    CONVEYOR_TOKEN: token,
    TASKS_DB: tasksDb,
    PORT: '0',
    METRICS_PORT: '0',
  };
  [mailer, example] = await Promise.all([
    startService('mailer', {
      ...shared,
      SMTP_URL: process.env['SMTP_URL'] ?? 'smtp://127.0.0.1:1025',
    }),
    installExample(repoRoot(), 'tasks-app'),
  ]);
  app = startExample(example.dir, [], appEnv);
  const listening = await app.waitForLine('tasks web listening');
  appUrl = `http://127.0.0.1:${String(listening['port'])}`;
  scheduleId = String(listening['scheduleId']);
}, 15 * 60_000);

afterAll(async () => {
  await Promise.all([app?.stop(), mailer?.stop('SIGTERM')]);
  await api?.deps.runtime.mongo.useDb(tasksDb).dropDatabase();
  await api?.close();
  await example?.remove();
});

describe('examples/tasks-app, installed from the packed SDK', () => {
  let ann: User;

  it('keeps users and tasks, and answers bad input with field errors', async () => {
    const email = `ann-${Date.now()}@example.com`;
    const created = await call<User>('/users', { name: 'Ann', email });
    expect(created.status).toBe(201);
    ann = created.body;
    for (const title of ['Buy milk', 'Write report, draft', 'Call "Bob"'])
      expect((await call(`/users/${ann.id}/tasks`, { title })).status).toBe(201);
    const tasks = await call<{ id: string; title: string }[]>(`/users/${ann.id}/tasks`);
    const milk = tasks.body.find((t) => t.title === 'Buy milk')!;
    expect((await call(`/users/${ann.id}/tasks/${milk.id}`, { done: true }, 'PATCH')).status).toBe(
      200,
    );

    const bad = await call<{ errors: { field: string }[] }>(`/users/${ann.id}/tasks`, {
      title: '',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    expect(bad.body.errors.map((e) => e.field)).toEqual(['title']);
    expect((await call('/users', { name: 'Ann again', email })).status).toBe(409);
  });

  it('mails the pending count when the daily schedule is triggered', async () => {
    const schedule = await client.schedules.get(scheduleId);
    expect(schedule).toMatchObject({
      name: 'tasks-app: daily reminders',
      cron: '0 8 * * *',
      job: { type: 'tasks.reminder' },
    });
    const fired = await call<{ jobId: string }>('/reminders/trigger', {});
    expect(fired.status).toBe(202);
    const reminder = await client.wait<{ reminded: number; emailJobs: string[] }>(
      fired.body.jobId,
      { timeoutMs: 60_000 },
    );
    expect(reminder).toMatchObject({ status: 'succeeded', type: 'tasks.reminder', scheduleId });
    expect(reminder.result?.reminded).toBe(1);
    const mailJob = await client.wait(reminder.result!.emailJobs[0]!, { timeoutMs: 60_000 });
    expect(mailJob).toMatchObject({ type: 'email.template', status: 'succeeded' });

    let mail: Mail | undefined;
    await waitFor(
      async () => {
        const all = (await (await fetch(`${catcher}/api/messages`)).json()) as Mail[];
        mail = all.find((m) => m.to.includes(ann.email));
        return mail !== undefined;
      },
      { timeoutMs: 30_000, what: `the reminder mail to ${ann.email}` },
    );
    expect(mail!.subject).toBe('You have 2 pending tasks');
    expect(mail!.text).toContain('Write report, draft');
    expect(mail!.text).not.toContain('Buy milk');
  });

  it('exports the tasks as CSV slowly, with live progress, and serves the file', async () => {
    const started = await call<{ jobId: string; events: string; download: string }>(
      `/users/${ann.id}/exports`,
      {
        rowDelayMs: 400,
      },
    );
    expect(started.status).toBe(202);
    const res = await fetch(`${appUrl}${started.body.events}`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const progress: number[] = [];
    const statuses: { status: string; rows?: number }[] = [];
    for await (const message of parseEventStream(res.body!)) {
      const data = JSON.parse(message.data) as { percent: number } & {
        status: string;
        rows?: number;
      };
      if (message.event === 'progress') progress.push(data.percent);
      if (message.event === 'status') statuses.push(data);
    }
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
    expect(statuses.at(-1)).toEqual({ status: 'succeeded', rows: 3 });

    const file = await call(started.body.download);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(file.headers.get('content-disposition')).toContain('tasks-Ann.csv');
    const rows = file.text.trimEnd().split('\r\n');
    expect(rows[0]).toBe('id,title,done,due,createdAt');
    expect(rows).toHaveLength(4);
    expect(file.text).toContain('"Write report, draft",false');
    expect(file.text).toContain('"Call ""Bob""",false');
    expect(file.text).toContain(',Buy milk,true,');

    const stranger = await call(
      `/users/000000000000000000000000/exports/${started.body.jobId}/events`,
    );
    expect(stranger.status).toBe(404);
  });

  it('finds its schedule again when it starts again, instead of adding one', async () => {
    const second = startExample(example.dir, ['web'], appEnv);
    try {
      const listening = await second.waitForLine('tasks web listening');
      expect(listening['scheduleId']).toBe(scheduleId);
    } finally {
      await second.stop();
    }
    const names: string[] = [];
    for await (const s of client.schedules.list()) names.push(s.name);
    expect(names.filter((n) => n === 'tasks-app: daily reminders')).toHaveLength(1);
  });
});

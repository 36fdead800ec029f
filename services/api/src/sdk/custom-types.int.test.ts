import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  infra,
  mongoUrlForDb,
  startService,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// Job types of a user's own, run by a worker built only on the SDK's public entry points
// (packages/sdk/src/testing/acme-worker.ts), installed the way a user installs it: from the
// packed tarballs with plain npm, in a directory outside the repository. End to end through
// the real API, RabbitMQ, the store, the scheduler and the mailer.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const run = promisify(execFile);
let installDir = '';
let ACME = '';

/** Packs the SDK, installs it with npm into a fresh directory, copies the worker there. */
async function installPackedWorker(): Promise<string> {
  const timeout = 10 * 60_000;
  await run('bash', [join(ROOT, 'scripts', 'pack-sdk.sh')], { cwd: ROOT, timeout });
  installDir = await mkdtemp(join(tmpdir(), 'conveyor-acme-'));
  const packed = (name: string) => `file:${join(ROOT, '.packs', `conveyor-${name}.tgz`)}`;
  await writeFile(
    join(installDir, 'package.json'),
    JSON.stringify({
      name: 'acme-worker',
      private: true,
      type: 'module',
      dependencies: {
        '@conveyor/sdk': packed('sdk'),
        '@conveyor/contracts': packed('contracts'),
        '@conveyor/platform': packed('platform'),
        '@conveyor/jobs': packed('jobs'),
        zod: '^4.1.0',
      },
    }),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: installDir,
    timeout,
  });
  const worker = join(installDir, 'worker.js');
  await copyFile(join(ROOT, 'packages/sdk/dist/testing/acme-worker.js'), worker);
  return worker;
}

interface Job {
  id: string;
  type: string;
  status: string;
  attempts: number;
  result: Record<string, unknown> | null;
  error: { code: string; message: string; retryable: boolean } | null;
  progress: { percent: number } | null;
}
interface Problem {
  errors?: { field: string; message: string }[];
}

let api: TestApi;
let alice: string;
let env: Record<string, string>;
let catcher: string;
const procs: ServiceProcess[] = [];
let acme: ServiceProcess;

const startAcme = async (extra: Record<string, string> = {}) => {
  const p = await startService('acme', { ...env, LEASE_MS: '2000', ...extra }, { entry: ACME });
  procs.push(p);
  return p;
};

async function submit(body: unknown, status = 202): Promise<Job> {
  const res = await api.call('/v1/jobs', alice, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  return JSON.parse(text) as Job;
}

async function job(id: string): Promise<Job> {
  return (await (await api.call(`/v1/jobs/${id}`, alice)).json()) as Job;
}

async function until(id: string, statuses: string[], timeoutMs = 30_000): Promise<Job> {
  let last: Job | null = null;
  await waitFor(
    async () => {
      last = await job(id);
      return statuses.includes(last.status);
    },
    { timeoutMs, intervalMs: 100, what: `job ${id} ${statuses.join('|')}` },
  );
  return last!;
}

/** `acme handled` log lines of a worker process: the types it received. */
const handledTypes = (p: ServiceProcess) =>
  p.lines
    .filter((l) => l.includes('"acme handled"'))
    .map((l) => (JSON.parse(l) as { type: string }).type);

beforeAll(async () => {
  ACME = await installPackedWorker();
  api = await startTestApi();
  const { rabbitmqUrl, mongoUrl, smtpCatcherUrl } = await infra();
  if (!smtpCatcherUrl)
    throw new Error('SMTP_CATCHER_URL is not set: start the catcher with `pnpm infra:up`');
  catcher = smtpCatcherUrl;
  env = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, api.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
  };
  const started = await Promise.all([
    startAcme(),
    startService('scheduler', {
      ...env,
      DIGEST_CRON: 'off',
      REAPER_INTERVAL_MS: '500',
      WORKFLOW_SWEEP_MS: '1000',
    }),
    startService('mailer', {
      ...env,
      SMTP_URL: process.env['SMTP_URL'] ?? 'smtp://127.0.0.1:1025',
    }),
  ]);
  acme = started[0];
  procs.push(started[1], started[2]);
  alice = await api.token({ sub: 'alice', email: 'alice@example.com' });
}, 12 * 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGTERM').catch(() => null)));
  await api?.deps.runtime.amqp
    .withChannel(async (ch) => {
      await ch.deleteQueue(api.deps.runtime.topology.queues.workflows);
      await ch.deleteQueue(api.deps.runtime.topology.queues.callbacks);
    })
    .catch(() => undefined);
  await api?.close();
  if (installDir) await rm(installDir, { recursive: true, force: true });
});

describe('job types of your own, run by an SDK worker', () => {
  it('are in the catalogue with their JSON Schema, queue and a live worker', async () => {
    const types = (await (await api.call('/v1/job-types', alice)).json()) as {
      name: string;
      queue: string;
      payloadSchema: { properties?: Record<string, unknown> };
      worker: { live: boolean };
    }[];
    const echo = types.find((t) => t.name === 'acme.echo');
    expect(echo).toMatchObject({ queue: 'acme', worker: { live: true } });
    expect(Object.keys(echo!.payloadSchema.properties ?? {})).toEqual(['text', 'times']);
    expect(types.map((t) => t.name)).toEqual(
      expect.arrayContaining(['acme.slow', 'acme.flaky', 'email.send', 'demo.count']),
    );
    const doc = (await (await api.call('/openapi.json', null)).json()) as {
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.components.schemas['Payload.acme.echo']).toBeDefined();
  });

  it('run to a result, with defaults from the registered schema', async () => {
    const submitted = await submit({ type: 'acme.echo', payload: { text: 'hi' } });
    const done = await until(submitted.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({
      status: 'succeeded',
      result: { echo: 'hi', schema: 1, worker: 'acme' },
    });
  });

  it('refuse a bad payload with field errors from the registered schema, and name the known types', async () => {
    const res = await api.call('/v1/jobs', alice, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'acme.echo', payload: { text: 7, times: 9, extra: true } }),
    });
    expect(res.status).toBe(400);
    const fields = ((await res.json()) as Problem).errors!.map((e) => e.field).sort();
    expect(fields).toEqual(['payload.extra', 'payload.text', 'payload.times']);
    const unknown = await api.call('/v1/jobs', alice, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'acme.nope', payload: {} }),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Problem).errors![0]!.message).toMatch(
      /unknown job type "acme\.nope"; known types: .*acme\.echo/,
    );
  });

  it('stream their progress on SSE until they succeed', async () => {
    const submitted = await submit({ type: 'acme.slow', payload: { steps: 5, stepMs: 150 } });
    const res = await api.call(`/v1/jobs/${submitted.id}/events`, alice);
    expect(res.status).toBe(200);
    const text = await res.text(); // n.b. the stream ends with the job's final state
    const percents = [...text.matchAll(/"percent":(\d+)/g)].map((m) => Number(m[1]));
    expect(percents.length).toBeGreaterThan(0);
    expect(text).toMatch(/"status":"succeeded"/);
  });

  it('are cancelled while running, and time out', async () => {
    const long = await submit({ type: 'acme.slow', payload: { steps: 200, stepMs: 100 } });
    await until(long.id, ['running']);
    const cancel = await api.call(`/v1/jobs/${long.id}/cancel`, alice, { method: 'POST' });
    expect(cancel.status).toBe(202); // n.b. running: the handler is aborted, then it ends
    expect((await until(long.id, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled');

    const late = await submit({
      type: 'acme.slow',
      payload: { steps: 100, stepMs: 100 },
      timeoutMs: 300,
      maxAttempts: 1,
    });
    const failed = await until(late.id, ['failed', 'succeeded']);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } });
  });

  it('retry with the backoff of their definition', async () => {
    const submitted = await submit({ type: 'acme.flaky', payload: { failures: 2 } });
    const done = await until(submitted.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 3, result: { attempt: 3 } });
  });

  it('survive kill -9 of their worker mid-job: run again and succeed once', async () => {
    // n.b. five seconds of work: the kill lands while it runs, however slow the machine
    const submitted = await submit({ type: 'acme.slow', payload: { steps: 50, stepMs: 100 } });
    await until(submitted.id, ['running']);
    await acme.stop('SIGKILL');
    acme = await startAcme();
    const done = await until(submitted.id, ['succeeded', 'failed'], 45_000);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, result: { attempt: 2 } });
  });

  it('are fired by a schedule', async () => {
    const res = await api.call('/v1/schedules', alice, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'acme every second',
        cron: '* * * * * *',
        job: { type: 'acme.echo', payload: { text: 'tick' } },
      }),
    });
    expect(res.status).toBe(201);
    const schedule = (await res.json()) as { id: string };
    try {
      await waitFor(
        async () => {
          const fires = (await (
            await api.call(`/v1/schedules/${schedule.id}/fires`, alice)
          ).json()) as { items: Job[] };
          return fires.items.some((j) => j.status === 'succeeded' && j.result?.['echo'] === 'tick');
        },
        { timeoutMs: 30_000, intervalMs: 250, what: 'a succeeded fire of the schedule' },
      );
    } finally {
      await api.call(`/v1/schedules/${schedule.id}`, alice, { method: 'DELETE' });
    }
  });

  it('chain into a built-in email.template in a workflow', async () => {
    const subject = `acme ${Date.now()}`;
    const res = await api.call('/v1/workflows', alice, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        workflow: {
          chain: [
            { name: 'echo', type: 'acme.echo', payload: { text: 'from-acme', times: 2 } },
            {
              name: 'mail',
              type: 'email.template',
              payload: {
                to: 'alice@example.com',
                template: 'notification',
                data: { title: subject },
              },
              input: { into: 'data.message', select: 'echo' },
            },
          ],
        },
      }),
    });
    expect(res.status).toBe(202);
    await waitFor(
      async () => {
        const all = (await (await fetch(`${catcher}/api/messages`)).json()) as {
          subject: string;
          text: string;
        }[];
        return all.some((m) => m.subject === subject && m.text.includes('from-acmefrom-acme'));
      },
      { timeoutMs: 30_000, what: 'the mail with the acme step’s result' },
    );
  });

  it('never reach a worker of another group', async () => {
    const otherWorker = await startAcme({ WORKER_NAME: 'acme-other', ACME_TYPES: 'other' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await submit({ type: 'acme-other.ping', payload: { n: i } })).id);
      ids.push((await submit({ type: 'acme.echo', payload: { text: `x${i}` } })).id);
    }
    for (const id of ids)
      expect((await until(id, ['succeeded', 'failed'])).status).toBe('succeeded');
    const theirs = handledTypes(otherWorker);
    expect(theirs.length).toBe(5);
    expect(new Set(theirs)).toEqual(new Set(['acme-other.ping']));
    expect(handledTypes(acme)).not.toContain('acme-other.ping');
    // n.b. not even a delivery: a worker given a type it has no handler for logs it
    const strays = [acme, otherWorker].flatMap((p) =>
      p.lines.filter((l) => l.includes('no handler for this job type')),
    );
    expect(strays).toEqual([]);
  });

  it('take a changed schema at the next registration; jobs in flight under the old one fail at claim, not retried', async () => {
    await acme.stop('SIGTERM');
    const before = (await (await api.call('/v1/job-types', alice)).json()) as {
      name: string;
      schemaHash: string;
    }[];
    const oldHash = before.find((t) => t.name === 'acme.echo')!.schemaHash;
    // queued under schema 1 while no acme worker runs
    const old = await submit({ type: 'acme.echo', payload: { text: 'old' } });
    acme = await startAcme({ ACME_SCHEMA: '2' });
    // n.b. the API rereads the catalogue within 2 s
    await waitFor(
      async () => {
        const after = (await (await api.call('/v1/job-types', alice)).json()) as {
          name: string;
          schemaHash: string;
        }[];
        return after.find((t) => t.name === 'acme.echo')!.schemaHash !== oldHash;
      },
      { timeoutMs: 10_000, what: 'the schema 2 registration' },
    );
    const stale = await until(old.id, ['failed', 'succeeded']);
    expect(stale).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'INVALID_PAYLOAD', retryable: false },
    });
    // new submissions are checked against schema 2
    await submit({ type: 'acme.echo', payload: { text: 'v1 shape' } }, 400);
    const fresh = await submit({ type: 'acme.echo', payload: { text: 'new', shout: true } });
    expect(await until(fresh.id, ['succeeded', 'failed'])).toMatchObject({
      status: 'succeeded',
      result: { echo: 'NEW', schema: 2 },
    });
  });
});

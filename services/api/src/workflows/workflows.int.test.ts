import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mongo } from 'mongoose';
import {
  envelope,
  jobLifecycleEvent,
  routingKeys,
  type WorkflowResource,
} from '@conveyor/contracts';
import { publishEnvelope } from '@conveyor/platform';
import {
  infra,
  mongoUrlForDb,
  startService,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;
let processor: ServiceProcess;
let scheduler: ServiceProcess;
let mailer: ServiceProcess;
let alice: string;
let bob: string;
let serviceEnv: Record<string, string>;
let catcher: string;

interface Problem {
  status: number;
  errors?: { field: string; message: string }[];
}
interface Job {
  id: string;
  status: string;
  result: { artifactId?: string; counted?: number } | null;
  payload: unknown;
}

const post = (path: string, token: string, body?: unknown) =>
  api.call(path, token, {
    method: 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function submit(body: unknown): Promise<WorkflowResource> {
  const res = await post('/v1/workflows', alice, body);
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return (await res.json()) as WorkflowResource;
}

const getWorkflow = async (id: string, token = alice) =>
  (await (await api.call(`/v1/workflows/${id}`, token)).json()) as WorkflowResource;

async function until(id: string, status: string, timeoutMs = 60_000): Promise<WorkflowResource> {
  let wf: WorkflowResource | null = null;
  await waitFor(
    async () => {
      wf = await getWorkflow(id);
      return wf.status === status && wf.counts['created'] === 0;
    },
    { timeoutMs, intervalMs: 200, what: `workflow ${id} ${status}` },
  );
  return wf!;
}

const job = async (id: string) => (await (await api.call(`/v1/jobs/${id}`, alice)).json()) as Job;

/** Jobs ever created for a step (every run), by their idempotency keys. */
const jobsOfStep = (wf: string, step: string) =>
  api.deps.repo.model.countDocuments({ idempotencyKey: { $regex: `^workflow:${wf}:${step}:` } });

async function artifactJson(jobId: string): Promise<unknown> {
  const res = await api.call(`/v1/jobs/${jobId}/result`, alice);
  expect(res.status).toBe(200);
  return JSON.parse(await res.text()) as unknown;
}

const stepByName = (wf: WorkflowResource, name: string) => wf.steps.find((s) => s.name === name)!;

/** A data.process step that fails for good: its artifact does not exist. */
const failing = (name: string, artifactId = new mongo.ObjectId().toHexString()) => ({
  name,
  type: 'data.process',
  payload: { source: { artifactId, format: 'json' }, steps: [], output: { format: 'json' } },
  maxAttempts: 1,
});
const count = (name: string, to: number, delayMs = 0) => ({
  name,
  type: 'demo.count',
  payload: { to, delayMs },
});

const startProcessor = () => startService('processor', { ...serviceEnv, LEASE_MS: '3000' });

beforeAll(async () => {
  api = await startTestApi();
  const { rabbitmqUrl, mongoUrl, smtpCatcherUrl } = await infra();
  if (!smtpCatcherUrl)
    throw new Error(
      'SMTP_CATCHER_URL is not set: start the catcher with `bash scripts/infra.sh up`',
    );
  catcher = smtpCatcherUrl;
  serviceEnv = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, api.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
  };
  [processor, scheduler, mailer] = await Promise.all([
    startProcessor(),
    startService('scheduler', {
      ...serviceEnv,
      DIGEST_CRON: 'off',
      REAPER_INTERVAL_MS: '500',
      WORKFLOW_SWEEP_MS: '1000',
    }),
    startService('mailer', {
      ...serviceEnv,
      SMTP_URL: process.env['SMTP_URL'] ?? 'smtp://127.0.0.1:1025',
    }),
  ]);
  alice = await api.token({ sub: 'alice', email: 'alice@example.com' });
  bob = await api.token({ sub: 'bob' });
}, 90_000);

afterAll(async () => {
  await Promise.all([
    processor?.stop('SIGTERM'),
    scheduler?.stop('SIGTERM'),
    mailer?.stop('SIGTERM'),
  ]);
  await api?.deps.runtime.amqp.withChannel(async (ch) => {
    await ch.deleteQueue(api.deps.runtime.topology.queues.workflows);
    await ch.deleteQueue(api.deps.runtime.topology.queues.callbacks);
  });
  await api?.close();
});

describe('workflow submissions', () => {
  it('refuses bad trees and payloads with field errors, before anything is created', async () => {
    const bad = async (body: unknown) => {
      const res = await post('/v1/workflows', alice, body);
      expect(res.status).toBe(400);
      return ((await res.json()) as Problem).errors!;
    };
    expect(
      await bad({
        workflow: {
          chain: [
            { type: 'demo.count', payload: { to: -1 } },
            { type: 'nope.nope', payload: {} },
            { chain: [count('x', 1)], group: [count('y', 1)] },
          ],
        },
      }),
    ).toEqual([
      { field: 'workflow.chain.0.payload.to', message: expect.any(String) },
      {
        field: 'workflow.chain.1.type',
        message: expect.stringMatching(
          /^unknown job type "nope\.nope"; known types: .*demo\.count/,
        ),
      },
      { field: 'workflow.chain.2', message: 'needs exactly one of type, chain, group or chord' },
    ]);
    let deep: unknown = count('leaf', 1);
    for (let i = 0; i < 9; i++) deep = { chain: [deep] };
    expect((await bad({ workflow: deep }))[0]!.message).toMatch(/deeper than 8/);
    const wide = {
      group: Array.from({ length: 6 }, () => ({
        group: Array.from({ length: 100 }, () => count('n', 1)),
      })),
    };
    expect(await bad({ workflow: wide })).toEqual([
      { field: 'workflow', message: 'has 600 job steps; at most 500 are allowed' },
    ]);
    expect((await bad({ workflow: count('x', 1), policy: 'yolo' }))[0]!.field).toBe('policy');
    // the field a previous result fills may be missing; everything else is checked
    expect(
      await bad({
        workflow: {
          chain: [
            count('a', 1),
            {
              type: 'email.template',
              payload: { to: 'not-an-address', template: 'notification', data: { title: 'x' } },
              input: { into: 'data.message', as: 'json' },
            },
          ],
        },
      }),
    ).toEqual([{ field: 'workflow.chain.1.payload.to', message: expect.any(String) }]);
    expect(await api.jobCount()).toBe(0);
    expect(await api.deps.workflows.store.model.countDocuments({})).toBe(0);
  });

  it('refuses a schedule with both or neither of job and workflow, and an invalid workflow', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const res = await post('/v1/schedules', alice, { name: 's', cron: '0 3 * * *', ...body });
      expect(res.status).toBe(400);
      return ((await res.json()) as Problem).errors!;
    };
    const one = 'give exactly one of job or workflow: what the schedule submits';
    expect(await bad({})).toEqual([{ field: 'job', message: one }]);
    expect(
      await bad({
        job: { type: 'demo.count', payload: { to: 1 } },
        workflow: { workflow: count('a', 1) },
      }),
    ).toEqual([{ field: 'job', message: one }]);
    expect(
      await bad({
        workflow: { workflow: { chain: [count('a', 1), { type: 'nope', payload: {} }] } },
      }),
    ).toEqual([
      {
        field: 'workflow.workflow.chain.1.type',
        message: expect.stringMatching(/^unknown job type "nope"; known types: .*email\.send/),
      },
    ]);
    expect(await bad({ workflow: { workflow: count('a', 1), policy: 'yolo' } })).toEqual([
      { field: 'workflow.policy', message: expect.any(String) },
    ]);
    expect(await api.deps.schedules.model.countDocuments({})).toBe(0);
  });
});

describe('workflows over real services', () => {
  it('a scheduled workflow firing twice gives two independent runs', async () => {
    const res = await post('/v1/schedules', alice, {
      name: 'every second',
      cron: '* * * * * *',
      workflow: {
        name: 'scheduled chain',
        workflow: {
          chain: [
            count('first', 2),
            { ...count('second', 1), input: { into: 'to', select: 'counted' } },
          ],
        },
      },
    });
    expect(res.status).toBe(201);
    const schedule = (await res.json()) as { id: string; job: unknown; workflow: { name: string } };
    expect(schedule).toMatchObject({
      job: null,
      workflow: { name: 'scheduled chain', policy: 'fail-fast' },
    });
    const ofSchedule = () =>
      api.deps.workflows.store.model
        .find({ scheduleId: schedule.id, status: 'succeeded' })
        .sort({ _id: 1 })
        .lean();
    await waitFor(async () => (await ofSchedule()).length >= 2, {
      timeoutMs: 60_000,
      what: 'two scheduled workflows succeeded',
    });
    const patched = await api.call(`/v1/schedules/${schedule.id}`, alice, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: false }),
    });
    expect(patched.status).toBe(200);
    const [a, b] = (await ofSchedule()).map((w) => w._id.toHexString());
    const runs = await Promise.all([a!, b!].map((id) => getWorkflow(id)));
    for (const wf of runs) {
      expect(wf).toMatchObject({ status: 'succeeded', scheduleId: schedule.id, owner: 'alice' });
      // the second step got the first one's result
      expect((await job(stepByName(wf, 'second').jobId!)).payload).toEqual({ to: 2, delayMs: 0 });
    }
    const jobIds = runs.flatMap((wf) => wf.steps.filter((s) => s.jobId).map((s) => s.jobId));
    expect(new Set(jobIds).size).toBe(4);
    // the schedule's fires are its workflows' jobs; bob sees none of it
    const fires = (await (
      await api.call(`/v1/schedules/${schedule.id}/fires?limit=100`, alice)
    ).json()) as {
      items: { id: string }[];
    };
    expect(fires.items.map((j) => j.id)).toEqual(expect.arrayContaining(jobIds));
    expect((await api.call(`/v1/workflows/${a}`, bob)).status).toBe(404);
    // a manual trigger starts a third run and answers with the workflow
    const trig = await post(`/v1/schedules/${schedule.id}/trigger`, alice);
    expect(trig.status).toBe(202);
    const third = (await trig.json()) as WorkflowResource;
    expect(third).toMatchObject({ scheduleId: schedule.id, name: 'scheduled chain' });
    expect([a, b]).not.toContain(third.id);
    await until(third.id, 'succeeded');
    const read = (await (await api.call(`/v1/schedules/${schedule.id}`, alice)).json()) as {
      lastWorkflowId: string;
    };
    expect([a, b, ...(await ofSchedule()).map((w) => w._id.toHexString())]).toContain(
      read.lastWorkflowId,
    );
  }, 120_000);

  it('runs a chain of three passing data: CSV processed, aggregated, mailed', async () => {
    const form = new FormData();
    const csv = 'Region,Amount\n north ,10\nsouth,5\n north ,7\nsouth,1\n';
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'sales.csv');
    const up = await api.call('/v1/uploads', alice, { method: 'POST', body: form });
    expect(up.status).toBe(201);
    const { uploadId } = (await up.json()) as { uploadId: string };
    const subject = `Sales ${Date.now()}`;
    const wf = await submit({
      name: 'sales',
      workflow: {
        chain: [
          {
            name: 'clean',
            type: 'data.process',
            payload: {
              source: { uploadId },
              steps: [{ op: 'clean', trim: true, normalizeKeys: true, dropEmpty: true }],
              output: { format: 'json' },
            },
          },
          {
            name: 'aggregate',
            type: 'data.process',
            payload: {
              steps: [
                {
                  op: 'aggregate',
                  groupBy: ['region'],
                  metrics: [{ fn: 'sum', field: 'amount', as: 'total' }],
                },
              ],
              output: { format: 'json' },
            },
            input: { into: 'source.artifactId', select: 'artifactId' },
          },
          {
            name: 'mail',
            type: 'email.template',
            payload: {
              to: 'alice@example.com',
              template: 'notification',
              data: { title: subject },
            },
            input: { into: 'data.message', as: 'json' },
          },
        ],
      },
    });
    expect(wf.status).toBe('running');
    const done = await until(wf.id, 'succeeded');
    expect(done.counts).toMatchObject({ succeeded: 3, pending: 0, failed: 0 });
    const aggregate = await job(stepByName(done, 'aggregate').jobId!);
    expect(await artifactJson(aggregate.id)).toEqual([
      { region: 'north', total: 17 },
      { region: 'south', total: 6 },
    ]);
    const mail = await job(stepByName(done, 'mail').jobId!);
    expect(mail.payload).toMatchObject({ data: { message: JSON.stringify(aggregate.result) } });
    await waitFor(
      async () => {
        const all = (await (await fetch(`${catcher}/api/messages`)).json()) as {
          subject: string;
        }[];
        return all.some((m) => m.subject === subject);
      },
      { timeoutMs: 30_000, what: 'the summary mail in the catcher' },
    );
    const all = (await (await fetch(`${catcher}/api/messages`)).json()) as {
      subject: string;
      text: string;
    }[];
    const caught = all.find((m) => m.subject === subject)!;
    expect(caught.text).toContain('recordsOut');
    // owner-scoped: bob sees none of it
    expect((await api.call(`/v1/workflows/${wf.id}`, bob)).status).toBe(404);
    const list = (await (await api.call('/v1/workflows?status=succeeded', alice)).json()) as {
      items: WorkflowResource[];
    };
    expect(list.items.map((w) => w.id)).toContain(wf.id);
    const bobs = (await (await api.call('/v1/workflows', bob)).json()) as { items: unknown[] };
    expect(bobs.items).toEqual([]);
  });

  it('runs a chord: a group of 50, then a callback that gets the 50 results in order', async () => {
    const wf = await submit({
      workflow: {
        chord: {
          header: Array.from({ length: 50 }, (_, i) => count(`m${i}`, i + 1)),
          body: {
            name: 'sum',
            type: 'data.process',
            payload: { steps: [], output: { format: 'json' } },
            input: { into: 'source.records' },
          },
        },
      },
    });
    const done = await until(wf.id, 'succeeded', 120_000);
    expect(done.counts['succeeded']).toBe(51);
    const body = stepByName(done, 'sum');
    expect(await jobsOfStep(wf.id, body.id)).toBe(1);
    expect(await artifactJson(body.jobId!)).toEqual(
      Array.from({ length: 50 }, (_, i) => ({ counted: i + 1 })),
    );
  });

  it('fail-fast cancels the running steps and creates nothing further', async () => {
    const wf = await submit({
      policy: 'fail-fast',
      workflow: {
        chain: [{ group: [count('slow', 600, 100), failing('broken')] }, count('after', 1)],
      },
    });
    const done = await until(wf.id, 'failed');
    expect(stepByName(done, 'broken').state).toBe('failed');
    expect(stepByName(done, 'slow').state).toBe('cancelled');
    expect((await job(stepByName(done, 'slow').jobId!)).status).toBe('cancelled');
    expect(stepByName(done, 'after')).toMatchObject({ state: 'skipped', jobId: null });
    expect(await jobsOfStep(wf.id, stepByName(done, 'after').id)).toBe(0);
  });

  it('continue runs what can run and reports partial results', async () => {
    const wf = await submit({
      policy: 'continue',
      workflow: {
        group: [
          { chain: [failing('bad'), count('never', 1)] },
          { chain: [count('ok1', 2), count('ok2', 3)] },
        ],
      },
    });
    const done = await until(wf.id, 'failed');
    expect(done.counts).toMatchObject({ succeeded: 2, failed: 1, skipped: 1 });
    expect(stepByName(done, 'never').state).toBe('skipped');
    expect((await job(stepByName(done, 'ok2').jobId!)).result).toEqual({ counted: 3 });
  });

  it('cancel while a group runs: running steps are cancelled, queued ones never start', async () => {
    const wf = await submit({
      workflow: {
        chain: [
          { group: Array.from({ length: 5 }, (_, i) => count(`g${i}`, 600, 100)) },
          count('later', 1),
        ],
      },
    });
    await waitFor(
      async () => {
        const w = await getWorkflow(wf.id);
        const jobs = await Promise.all(w.steps.filter((s) => s.jobId).map((s) => job(s.jobId!)));
        return jobs.some((j) => j.status === 'running');
      },
      { timeoutMs: 30_000, what: 'a group member running' },
    );
    const res = await post(`/v1/workflows/${wf.id}/cancel`, alice);
    expect(res.status).toBe(200);
    expect(((await res.json()) as WorkflowResource).status).toBe('cancelled');
    const done = await until(wf.id, 'cancelled');
    for (let i = 0; i < 5; i++) {
      const member = stepByName(done, `g${i}`);
      expect(member.state).toBe('cancelled');
      expect((await job(member.jobId!)).status).toBe('cancelled');
    }
    expect(stepByName(done, 'later').state).toBe('skipped');
    expect(await jobsOfStep(wf.id, stepByName(done, 'later').id)).toBe(0);
    expect((await post(`/v1/workflows/${wf.id}/cancel`, alice)).status).toBe(409);
  });

  it('retry re-runs only the failed and never-run steps', async () => {
    const artifactId = new mongo.ObjectId();
    const wf = await submit({
      workflow: {
        chain: [count('first', 2), failing('second', artifactId.toHexString()), count('third', 1)],
      },
    });
    const failed = await until(wf.id, 'failed');
    const firstJob = stepByName(failed, 'first').jobId;
    expect(stepByName(failed, 'third').state).toBe('skipped');
    expect((await post(`/v1/workflows/${wf.id}/retry`, bob)).status).toBe(404);
    // what the second step reads exists now
    const db = api.deps.runtime.mongo.db!;
    const bucket = new mongo.GridFSBucket(db, { bucketName: 'artifacts' });
    await new Promise<void>((resolve, reject) => {
      const s = bucket.openUploadStreamWithId(artifactId, 'given.json', {
        metadata: { owner: 'alice', contentType: 'application/json' },
      });
      s.once('finish', () => resolve());
      s.once('error', reject);
      s.end(JSON.stringify([{ a: 1 }, { a: 2 }]));
    });
    const res = await post(`/v1/workflows/${wf.id}/retry`, alice);
    expect(res.status).toBe(202);
    const done = await until(wf.id, 'succeeded');
    expect(done.runs).toBe(2);
    expect(stepByName(done, 'first')).toMatchObject({ jobId: firstJob, run: 1 });
    expect(stepByName(done, 'second').run).toBe(2);
    expect(stepByName(done, 'third').run).toBe(2);
    expect(await jobsOfStep(wf.id, stepByName(done, 'first').id)).toBe(1);
    expect(await jobsOfStep(wf.id, stepByName(done, 'second').id)).toBe(2);
    expect(await jobsOfStep(wf.id, stepByName(done, 'third').id)).toBe(1);
    expect((await post(`/v1/workflows/${wf.id}/retry`, alice)).status).toBe(409);
  });

  it('duplicate deliveries of a member completion start the callback once', async () => {
    const wf = await submit({
      workflow: {
        chord: { header: [count('a', 1), count('b', 2)], body: count('body', 1, 2000) },
      },
    });
    await waitFor(async () => stepByName(await getWorkflow(wf.id), 'body').state !== 'pending', {
      timeoutMs: 30_000,
      what: 'the body created',
    });
    const w = await getWorkflow(wf.id);
    const member = await api.deps.repo.get(stepByName(w, 'a').jobId!);
    // the same completion, again and again: as events on the queue and as direct calls racing
    const { amqp, topology } = api.deps.runtime;
    for (let i = 0; i < 5; i++) {
      const env = envelope(jobLifecycleEvent, {
        jobId: member!._id.toHexString(),
        type: member!.type,
        owner: member!.owner,
        status: 'succeeded',
        attempt: member!.attempts,
      });
      await publishEnvelope(
        amqp,
        jobLifecycleEvent,
        topology.exchanges.events,
        routingKeys.reaction('workflow', 'succeeded', member!.type),
        env,
        { mandatory: false },
      );
    }
    await Promise.all(Array.from({ length: 10 }, () => api.deps.workflows.jobFinished(member!)));
    const done = await until(wf.id, 'succeeded');
    expect(await jobsOfStep(wf.id, stepByName(done, 'body').id)).toBe(1);
    expect(await jobsOfStep(wf.id, stepByName(done, 'a').id)).toBe(1);
  });

  it('a member worker killed with SIGKILL mid-chord: the callback still runs once, with every result', async () => {
    const wf = await submit({
      workflow: {
        chord: {
          header: Array.from({ length: 6 }, (_, i) => count(`k${i}`, i + 20, 100)),
          body: {
            name: 'collect',
            type: 'data.process',
            payload: { steps: [], output: { format: 'json' } },
            input: { into: 'source.records' },
          },
        },
      },
    });
    await waitFor(
      async () => {
        const w = await getWorkflow(wf.id);
        const jobs = await Promise.all(w.steps.filter((s) => s.jobId).map((s) => job(s.jobId!)));
        return jobs.filter((j) => j.status === 'running').length >= 1;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'members running' },
    );
    await processor.stop('SIGKILL');
    processor = await startProcessor();
    const done = await until(wf.id, 'succeeded', 120_000);
    const body = stepByName(done, 'collect');
    expect(await jobsOfStep(wf.id, body.id)).toBe(1);
    expect(await artifactJson(body.jobId!)).toEqual(
      Array.from({ length: 6 }, (_, i) => ({ counted: i + 20 })),
    );
    // at least one member was re-queued after its lease expired
    const members = await Promise.all(
      done.steps.filter((s) => s.name?.startsWith('k')).map((s) => api.deps.repo.get(s.jobId!)),
    );
    expect(members.some((m) => (m?.attempts ?? 0) > 1)).toBe(true);
  });
});

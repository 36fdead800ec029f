import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { envelope, jobDispatch } from '@conveyor/contracts';
import { AmqpClient, publishEnvelope } from '@conveyor/platform';
import { cancelJob, JobDispatcher, type JobDoc, type NewJob } from '@conveyor/jobs';
import { startJobStack, type JobStack } from '@conveyor/jobs/testing';
import { infra, metricValue, startService, waitFor, type ServiceProcess } from '@conveyor/testkit';

let stack: JobStack;
let env: Record<string, string>;
const procs: ServiceProcess[] = [];
// The broker's rabbitmqctl, whichever broker infra() gave (local node or container).
let rabbitmqctl: (args: string[]) => Promise<string>;

async function processor(extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const p = await startService('processor', { ...env, ...extra });
  procs.push(p);
  return p;
}

const demo = (payload: Record<string, unknown>, over: Partial<NewJob> = {}): NewJob => ({
  type: 'demo.count',
  payload,
  priority: 'normal',
  owner: 'e2e',
  maxAttempts: 3,
  timeoutMs: 60_000,
  runAt: new Date(),
  ...over,
});

async function submit(input: NewJob): Promise<JobDoc> {
  const { job } = await stack.repo.create(input);
  await stack.dispatcher.dispatch(job);
  return job;
}

const status = async (id: JobDoc['_id']) => (await stack.repo.get(id.toHexString()))!;

beforeAll(async () => {
  const { rabbitmqctl: ctl } = await infra();
  if (!ctl) throw new Error('infra() gave no rabbitmqctl for this broker');
  rabbitmqctl = ctl;
  stack = await startJobStack('e2e');
  env = { ...stack.env, LEASE_MS: '3000', SHUTDOWN_GRACE_MS: '10000' };
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await stack.teardown();
});

describe('processor end to end', () => {
  it('runs a demo.count job to succeeded with progress and its result', async () => {
    await processor();
    const job = await submit(demo({ to: 5, delayMs: 20 }));
    await waitFor(async () => (await status(job._id)).status === 'succeeded', {
      timeoutMs: 15_000,
      what: 'job succeeded',
    });
    const done = await status(job._id);
    expect(JSON.parse(done.result!)).toEqual({ counted: 5 });
    expect(done.attempts).toBe(1);
    expect(done.progress?.percent).toBe(100);
  });

  it('runs 32 jobs at once unless CONCURRENCY says otherwise', async () => {
    const concurrency = (p: ServiceProcess) =>
      metricValue(p.opsPort, 'conveyor_worker_concurrency', { service: 'processor' });
    expect(await concurrency(procs[0] ?? (await processor()))).toBe(32);
    const eight = await processor({ CONCURRENCY: '8' });
    expect(await concurrency(eight)).toBe(8);
    await eight.stop('SIGTERM');
    procs.splice(procs.indexOf(eight), 1);
  });

  it('does not run a job twice for a duplicated delivery', async () => {
    const job = await submit(demo({ to: 2, delayMs: 200 }));
    // The same dispatch again, as a redelivery or a sweeper racing the API would produce.
    const dup = envelope(jobDispatch, {
      jobId: job._id.toHexString(),
      type: 'demo.count',
      attempt: 1,
      priority: 'normal',
    });
    await publishEnvelope(stack.amqp, jobDispatch, stack.topo.exchanges.jobs, 'demo.count', dup);
    await publishEnvelope(stack.amqp, jobDispatch, stack.topo.exchanges.jobs, 'demo.count', dup);
    await waitFor(async () => (await status(job._id)).status === 'succeeded', {
      timeoutMs: 15_000,
      what: 'job succeeded',
    });
    await new Promise((r) => setTimeout(r, 500));
    const done = await status(job._id);
    expect(done.attempts).toBe(1);
    expect(done.status).toBe('succeeded');
  });

  it('drains an in-flight job on SIGTERM and exits 0', async () => {
    const p = await processor();
    // Only this processor consumes now: stop the first one (also drains cleanly).
    expect(await procs[0]!.stop('SIGTERM')).toBe(0);
    const job = await submit(demo({ to: 4, delayMs: 400 }));
    await waitFor(async () => (await status(job._id)).status === 'running', {
      timeoutMs: 10_000,
      what: 'job running',
    });
    expect(await p.stop('SIGTERM')).toBe(0);
    const done = await status(job._id);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(1);
  });

  it('re-runs the job of a processor killed mid-run after its lease expires, completing it once', async () => {
    const victim = await processor();
    const job = await submit(demo({ to: 30, delayMs: 100 }));
    await waitFor(async () => (await status(job._id)).status === 'running', {
      timeoutMs: 10_000,
      what: 'job running',
    });
    await victim.stop('SIGKILL');
    await processor();
    // The scheduler's lease reaper, run here directly: re-queues the job once its lease (3 s) expired.
    await waitFor(async () => (await stack.housekeeping.expireLeases()).length > 0, {
      timeoutMs: 15_000,
      what: 'lease reaped',
    });
    await waitFor(async () => (await status(job._id)).status === 'succeeded', {
      timeoutMs: 20_000,
      what: 'job succeeded',
    });
    const done = await status(job._id);
    expect(done.attempts).toBe(2);
    expect(JSON.parse(done.result!)).toEqual({ counted: 30 });
  });

  it('cancels a running job: the handler is aborted and the job ends cancelled', async () => {
    const job = await submit(demo({ to: 100, delayMs: 100 }));
    await waitFor(async () => (await status(job._id)).status === 'running', {
      timeoutMs: 10_000,
      what: 'job running',
    });
    const res = await cancelJob(stack.core, job._id.toHexString());
    expect(res.kind).toBe('requested');
    await waitFor(async () => (await status(job._id)).status === 'cancelled', {
      timeoutMs: 30_000,
      what: 'job cancelled',
    });
    const done = await status(job._id);
    // n.b. the handler counts for 10 s; it was stopped, not left to finish
    expect(done.result).toBeNull();
    expect(done.progress?.percent ?? 0).toBeLessThan(100);
    expect(done.error).toMatchObject({ code: 'CANCELLED' });
  });

  it('fails a job that exceeds its timeout, retrying first', async () => {
    const job = await submit(demo({ to: 50, delayMs: 100 }, { timeoutMs: 300, maxAttempts: 2 }));
    await waitFor(
      async () => {
        await stack.housekeeping.promoteDue();
        return (await status(job._id)).status === 'failed';
      },
      { timeoutMs: 20_000, what: 'job failed by timeout' },
    );
    const done = await status(job._id);
    expect(done.error?.code).toBe('TIMEOUT');
    expect(done.attempts).toBe(2);
  });

  it('runs every job accepted while RabbitMQ was stopped, once it is back (outbox)', async () => {
    // A submitter that gives up on a publish quickly, as the API does, leaving the job to the
    // outbox sweeper.
    const impatient = new AmqpClient({
      url: env.RABBITMQ_URL!,
      name: 'e2e-impatient',
      log: stack.log,
      publishTimeoutMs: 300,
    });
    await impatient.start();
    const quickDispatch = new JobDispatcher(impatient, stack.topo, stack.repo, stack.log);
    const ids: JobDoc['_id'][] = [];
    let unconfirmed = 0;
    const submit = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const { job } = await stack.repo.create(demo({ to: 1 }));
        ids.push(job._id);
        if (!(await quickDispatch.dispatch(job))) unconfirmed++;
      }
    };
    await submit(5);
    await rabbitmqctl(['stop_app']);
    // Accepted while the broker is down: stored, their dispatch unconfirmed.
    await submit(10);
    expect(unconfirmed).toBe(10);
    await rabbitmqctl(['start_app']);
    await submit(5);
    await waitFor(
      async () => {
        await stack.housekeeping.publishUnpublished(500); // the scheduler's outbox sweeper, run here
        const docs = await Promise.all(ids.map(status));
        return docs.every((d) => d.status === 'succeeded');
      },
      { timeoutMs: 45_000, intervalMs: 1000, what: 'every accepted job succeeded' },
    );
    const docs = await Promise.all(ids.map(status));
    expect(docs.map((d) => d.attempts)).toEqual(ids.map(() => 1));
    await impatient.close();
  });
});

/**
 * A worker of a user's own, for the SDK's end-to-end tests: it imports nothing but the
 * SDK's public entry points and zod, the way a service outside this repository would.
 *
 * Environment (besides the SDK's): `WORKER_NAME` (acme), `ACME_TYPES` (a comma list of
 * echo, slow, flaky, other; default echo,slow,flaky), `ACME_SCHEMA` (1 or 2: version 2 of
 * `acme.echo` requires a `shout` flag). Every handled delivery logs "acme handled".
 */
import { z } from 'zod';
import { defineJobType, RetryableJobError } from '@conveyor/sdk';
import { createWorker, handle, type Handler } from '@conveyor/sdk/worker';

const v2 = process.env['ACME_SCHEMA'] === '2';

export const echo = defineJobType({
  name: 'acme.echo',
  description: 'Echoes its text (version 2 can shout it)',
  payload: v2
    ? z.strictObject({ text: z.string().min(1), shout: z.boolean() })
    : z.strictObject({ text: z.string().min(1), times: z.int().min(1).max(5).default(1) }),
  result: z.object({ echo: z.string(), schema: z.int(), worker: z.string() }),
});

export const slow = defineJobType({
  name: 'acme.slow',
  description: 'Takes `steps` steps of `stepMs`, reporting progress, until cancelled',
  payload: z.strictObject({ steps: z.int().min(1).max(1000), stepMs: z.int().min(1).max(10_000) }),
  result: z.object({ steps: z.int(), attempt: z.int() }),
  defaults: { maxAttempts: 3, timeoutMs: 60_000 },
});

export const flaky = defineJobType({
  name: 'acme.flaky',
  description: 'Fails its first `failures` attempts, then succeeds',
  payload: z.strictObject({ failures: z.int().min(0).max(5) }),
  result: z.object({ attempt: z.int() }),
  defaults: { maxAttempts: 4, backoff: { baseMs: 50, maxMs: 200 } },
});

export const other = defineJobType({
  name: 'acme-other.ping',
  description: 'A type of another worker group',
  payload: z.strictObject({ n: z.int() }),
  result: z.object({ n: z.int() }),
});

const workerName = process.env['WORKER_NAME'] ?? 'acme';
const wanted = new Set((process.env['ACME_TYPES'] ?? 'echo,slow,flaky').split(','));

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new Error('aborted'));
      },
      { once: true },
    );
  });

const all: Record<string, Handler> = {
  echo: handle(echo, (p, ctx) => {
    ctx.log.info({ type: ctx.job.type, jobId: ctx.job.id }, 'acme handled');
    const text = 'shout' in p ? (p.shout ? p.text.toUpperCase() : p.text) : p.text.repeat(p.times);
    return { echo: text, schema: v2 ? 2 : 1, worker: workerName };
  }),
  slow: handle(slow, async (p, ctx) => {
    ctx.log.info(
      { type: ctx.job.type, jobId: ctx.job.id, attempt: ctx.job.attempt },
      'acme handled',
    );
    for (let i = 1; i <= p.steps; i++) {
      await sleep(p.stepMs, ctx.signal);
      ctx.progress(Math.round((100 * i) / p.steps), `step ${i} of ${p.steps}`);
    }
    return { steps: p.steps, attempt: ctx.job.attempt };
  }),
  flaky: handle(flaky, (p, ctx) => {
    ctx.log.info(
      { type: ctx.job.type, jobId: ctx.job.id, attempt: ctx.job.attempt },
      'acme handled',
    );
    if (ctx.job.attempt <= p.failures)
      throw new RetryableJobError(`planned failure ${ctx.job.attempt}`, 'ACME_PLANNED');
    return { attempt: ctx.job.attempt };
  }),
  other: handle(other, (p, ctx) => {
    ctx.log.info({ type: ctx.job.type, jobId: ctx.job.id }, 'acme handled');
    return { n: p.n };
  }),
};

const worker = await createWorker({
  name: workerName,
  handlers: Object.entries(all)
    .filter(([k]) => wanted.has(k))
    .map(([, h]) => h),
});
worker.handleSignals();

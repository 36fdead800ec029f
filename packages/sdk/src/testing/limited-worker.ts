/**
 * A worker of a user's own whose job types carry fleet-wide limits, for the limits
 * end-to-end tests: it imports nothing but the SDK's public entry points and zod. Every
 * handler logs `limited start` and `limited end` with the job, its attempt and the time, so
 * a test can replay what ran at once across replicas.
 *
 * Environment (besides the SDK's): `RATED_LIMIT` (60) and `RATED_PERIOD_MS` (60000), the
 * rate of `limited.rated`.
 */
import { z } from 'zod';
import { defineJobType } from '@conveyor/sdk';
import { createWorker, handle } from '@conveyor/sdk/worker';

/** At most two running fleet-wide. */
export const slot = defineJobType({
  name: 'limited.slot',
  description: 'Sleeps `ms`; at most two run at once across every replica',
  payload: z.strictObject({ ms: z.int().min(1).max(60_000) }),
  limits: { concurrency: 2 },
  defaults: { maxAttempts: 5 },
});

/** At most one running per customer. */
export const keyed = defineJobType({
  name: 'limited.keyed',
  description: 'Sleeps `ms`; at most one runs at once per customer',
  payload: z.strictObject({ customer: z.string().min(1), ms: z.int().min(1).max(60_000) }),
  limits: { perKey: { key: 'customer', concurrency: 1 } },
});

/** Starts at most RATED_LIMIT per RATED_PERIOD_MS fleet-wide. */
export const rated = defineJobType({
  name: 'limited.rated',
  description: 'Does nothing, at a limited rate',
  payload: z.strictObject({ n: z.int() }),
  limits: {
    rate: {
      limit: Number(process.env['RATED_LIMIT'] ?? 60),
      periodMs: Number(process.env['RATED_PERIOD_MS'] ?? 60_000),
    },
  },
});

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

type Ctx = {
  job: { id: string; type: string; attempt: number };
  log: { info: (o: object, m: string) => void };
  signal: AbortSignal;
};

async function timed(ctx: Ctx, ms: number, key?: string): Promise<{ ok: true }> {
  const mark = { jobId: ctx.job.id, type: ctx.job.type, attempt: ctx.job.attempt, key };
  ctx.log.info({ ...mark, t: Date.now() }, 'limited start');
  await sleep(ms, ctx.signal);
  ctx.log.info({ ...mark, t: Date.now() }, 'limited end');
  return { ok: true };
}

const worker = await createWorker({
  name: 'limited',
  handlers: [
    handle(slot, (p, ctx) => timed(ctx, p.ms)),
    handle(keyed, (p, ctx) => timed(ctx, p.ms, p.customer)),
    handle(rated, (_p, ctx) => timed(ctx, 1)),
  ],
});
worker.handleSignals();

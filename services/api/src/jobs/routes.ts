import { Router } from '@koa/router';
import { submitBatchSchema } from '@conveyor/contracts';
import { toJobResource, type JobDoc, type NewJob } from '@conveyor/jobs/store';
import { cancelJob, retryJob, submitJobs } from '@conveyor/jobs/dispatch';
import type { TraceState } from '../http/tracing.js';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import type { SubmissionLimiter } from '../http/rate-limit.js';
import { conflict, notFound, parseOr400, ProblemError, type FieldError } from '../http/problem.js';
import { checkSubmission } from './submission.js';
import { listJobsQuerySchema } from './list-query.js';
import { artifactOf, sendJobResult } from './result.js';
import { needsSigningSecret, registerCallbacks } from '../webhooks/submit-hooks.js';

const invalid = (errors: FieldError[]) =>
  new ProblemError(400, 'Invalid request', 'The request has invalid fields; see errors.', errors);

/** `/v1/jobs`: submit, batch, read, list, cancel, retry, delete, result. */
export function jobRoutes(deps: ApiDeps, limiter: SubmissionLimiter): Router {
  const { repo, core, metrics } = deps;
  const router = new Router();

  /** Stores, announces and dispatches (see submitJobs); counts what was created. */
  async function submit(inputs: NewJob[]): Promise<{ job: JobDoc; created: boolean }[]> {
    const results = await submitJobs(core, inputs);
    for (const r of results) if (r.created) metrics.submitted.inc({ type: r.job.type });
    return results;
  }

  router.post('/', async (ctx) => {
    const user = currentUser(ctx);
    const checked = await checkSubmission(ctx.request.body, user, deps.uploads);
    if (!checked.ok) throw invalid(checked.errors);
    const missing = await needsSigningSecret(deps, user, [checked]);
    if (missing.length > 0) throw invalid(missing);
    limiter.take(user.sub);
    const [{ job, created }] = (await submit([{ ...checked.job, ...traceOf(ctx) }])) as [
      { job: JobDoc; created: boolean },
    ];
    if (created) await registerCallbacks(deps, [{ job, url: checked.callbackUrl }]);
    ctx.status = created ? 202 : 200;
    ctx.body = toJobResource(job);
  });

  router.post('/batch', async (ctx) => {
    const user = currentUser(ctx);
    const { jobs } = parseOr400(submitBatchSchema, ctx.request.body);
    const valid: NewJob[] = [];
    const callbackUrls: (string | null)[] = [];
    const errors: FieldError[] = [];
    for (const [i, input] of jobs.entries()) {
      const checked = await checkSubmission(input, user, deps.uploads, `jobs.${i}`);
      if (checked.ok) {
        valid.push({ ...checked.job, ...traceOf(ctx) });
        callbackUrls.push(checked.callbackUrl);
      } else errors.push(...checked.errors);
    }
    if (errors.length > 0) throw invalid(errors);
    const missing = await needsSigningSecret(
      deps,
      user,
      valid.map((job, i) => ({ job, callbackUrl: callbackUrls[i] ?? null })),
      true,
    );
    if (missing.length > 0) throw invalid(missing);
    limiter.take(user.sub, valid.length);
    const results = await submit(valid);
    await registerCallbacks(
      deps,
      results.map((r, i) => ({ job: r.job, url: r.created ? (callbackUrls[i] ?? null) : null })),
    );
    ctx.status = 202;
    ctx.body = { jobs: results.map((r) => toJobResource(r.job)) };
  });

  router.get('/', async (ctx) => {
    const user = currentUser(ctx);
    const q = parseOr400(listJobsQuerySchema, ctx.query, '', 'Invalid query');
    const docs = await repo.list({
      owner: ownerScope(user),
      status: q.status,
      type: q.type,
      before: q.cursor,
      limit: q.limit,
    });
    const last = docs.at(-1);
    ctx.body = {
      items: docs.map(toJobResource),
      nextCursor: docs.length === q.limit && last ? last._id.toHexString() : null,
    };
  });

  router.get('/:id', async (ctx) => {
    const job = await repo.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
    if (!job) throw notFound('job');
    ctx.body = toJobResource(job);
  });

  router.post('/:id/cancel', async (ctx) => {
    const owner = ownerScope(currentUser(ctx));
    const id = ctx.params['id'] ?? '';
    const res = await cancelJob(core, id, owner);
    if (res.kind === 'not-cancellable') {
      if (!(await repo.get(id, owner))) throw notFound('job');
      throw conflict('the job has already finished');
    }
    ctx.status = res.kind === 'cancelled' ? 200 : 202;
    ctx.body = toJobResource(res.job);
  });

  router.post('/:id/retry', async (ctx) => {
    const owner = ownerScope(currentUser(ctx));
    const id = ctx.params['id'] ?? '';
    const job = await retryJob(core, id, owner);
    if (!job) {
      if (!(await repo.get(id, owner))) throw notFound('job');
      throw conflict('only failed or cancelled jobs can be retried');
    }
    ctx.status = 202;
    ctx.body = toJobResource(job);
  });

  router.delete('/:id', async (ctx) => {
    const owner = ownerScope(currentUser(ctx));
    const job = await repo.deleteFinished(ctx.params['id'] ?? '', owner);
    if (job === null) throw notFound('job');
    if (job === false) throw conflict('only finished jobs can be deleted');
    const artifactId = artifactOf(job);
    if (artifactId !== undefined) await deps.artifacts.delete(artifactId);
    ctx.status = 204;
  });

  router.get('/:id/result', async (ctx) => {
    const job = await repo.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
    if (!job) throw notFound('job');
    await sendJobResult(ctx, job, deps.artifacts);
  });

  return router;
}

/** Jobs created by a request belong to the request's trace. */
function traceOf(ctx: { state: unknown }): { traceparent?: string } {
  const trace = (ctx.state as TraceState).trace;
  return trace ? { traceparent: trace.traceparent } : {};
}

import { jobResourceSchema, submitBatchSchema } from '@conveyor/contracts';
import {
  artifactOfJob,
  deleteAttemptLogs,
  toJobResource,
  type JobDoc,
  type NewJob,
} from '@conveyor/jobs/store';
import { cancelJob, retryJob, submitJobs } from '@conveyor/jobs/dispatch';
import type { TraceState } from '../http/tracing.js';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import type { SubmissionLimiter } from '../http/rate-limit.js';
import { conflict, notFound, ProblemError, type FieldError } from '../http/problem.js';
import { route, schemaRef, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN, jobPageSchema, problemAnswer } from '../http/schemas.js';
import { checkSubmission } from './submission.js';
import { listJobsQuerySchema } from './list-query.js';
import { jobPage, searchFilter } from './search.js';
import { sendJobResult } from './result.js';
import { jobAttemptRoutes } from './attempts.js';
import { jobPositionRoutes } from './position.js';
import { jobBulkRoutes } from './bulk.js';
import { needsSigningSecret, registerCallbacks } from '../webhooks/submit-hooks.js';

const invalid = (errors: FieldError[]) =>
  new ProblemError(400, 'Invalid request', 'The request has invalid fields; see errors.', errors);

const jobOut = (description: string) => ({ description, schema: jobResourceSchema });
const idParams = { id: ID_PATTERN };

/** `/v1/jobs`: submit, batch, read, list, cancel, retry, delete, result. */
export function jobRoutes(deps: ApiDeps, limiter: SubmissionLimiter): AnyRoute[] {
  const { repo, core, metrics } = deps;
  const checkDeps = { uploads: deps.uploads, catalogue: core.catalogue };

  /** Stores, announces and dispatches (see submitJobs); counts what was created. */
  async function submit(inputs: NewJob[]): Promise<{ job: JobDoc; created: boolean }[]> {
    const results = await submitJobs(core, inputs);
    for (const r of results) if (r.created) metrics.submitted.inc({ type: r.job.type });
    return results;
  }

  const submitOne = route<unknown, unknown>({
    method: 'post',
    path: '/v1/jobs',
    tag: 'jobs',
    summary: 'Submit a job',
    description:
      "The payload is checked against the job type's schema (GET /v1/job-types). An `idempotencyKey` seen before for the same owner answers 200 with the first job.",
    auth: 'token',
    limited: true,
    body: { schema: schemaRef('SubmitJob'), required: true },
    responses: {
      202: jobOut('Accepted: stored and queued'),
      200: jobOut('Idempotency key seen: the first job'),
    },
    handler: async (ctx, { body }) => {
      const user = currentUser(ctx);
      const checked = await checkSubmission(body, user, checkDeps);
      if (!checked.ok) throw invalid(checked.errors);
      const missing = await needsSigningSecret(deps, user, [checked]);
      if (missing.length > 0) throw invalid(missing);
      await limiter.take(user.sub);
      const [{ job, created }] = (await submit([{ ...checked.job, ...traceOf(ctx) }])) as [
        { job: JobDoc; created: boolean },
      ];
      if (created) await registerCallbacks(deps, [{ job, url: checked.callbackUrl }]);
      ctx.status = created ? 202 : 200;
      ctx.body = toJobResource(job);
    },
  });

  const submitBatch = route<unknown, { jobs: unknown[] }>({
    method: 'post',
    path: '/v1/jobs/batch',
    tag: 'jobs',
    summary: 'Submit up to 1000 jobs; all or nothing',
    auth: 'token',
    limited: true,
    body: {
      schema: submitBatchSchema,
      required: true,
      doc: {
        type: 'object',
        properties: {
          jobs: { type: 'array', items: schemaRef('SubmitJob'), minItems: 1, maxItems: 1000 },
        },
        required: ['jobs'],
        additionalProperties: false,
      },
    },
    responses: {
      202: {
        description: 'Accepted',
        schema: {
          type: 'object',
          properties: { jobs: { type: 'array', items: schemaRef('JobResource') } },
          required: ['jobs'],
        },
      },
    },
    handler: async (ctx, { body }) => {
      const user = currentUser(ctx);
      const { jobs } = body;
      const valid: NewJob[] = [];
      const callbackUrls: (string | null)[] = [];
      const errors: FieldError[] = [];
      for (const [i, input] of jobs.entries()) {
        const checked = await checkSubmission(input, user, checkDeps, `jobs.${i}`);
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
      await limiter.take(user.sub, valid.length);
      const results = await submit(valid);
      await registerCallbacks(
        deps,
        results.map((r, i) => ({ job: r.job, url: r.created ? (callbackUrls[i] ?? null) : null })),
      );
      ctx.status = 202;
      ctx.body = { jobs: results.map((r) => toJobResource(r.job)) };
    },
  });

  const list = route({
    method: 'get',
    path: '/v1/jobs',
    tag: 'jobs',
    summary: 'List my jobs (admins: everyone’s), newest first, cursor-paged',
    description:
      '`field` + `value` keep the jobs whose payload holds that value at that path, `text` those whose payload strings hold all those words, exactly as in GET /v1/jobs/search: only at the paths the job type declares searchable (`search` in GET /v1/job-types), through an index.',
    auth: 'token',
    query: listJobsQuerySchema,
    responses: { 200: { description: 'A page of jobs', schema: jobPageSchema } },
    handler: async (ctx, { query: q }) => {
      const scope = ownerScope(currentUser(ctx));
      ctx.body = await jobPage(deps.runtime.mongo, searchFilter(q, scope), q.limit);
    },
  });

  const read = route({
    method: 'get',
    path: '/v1/jobs/{id}',
    tag: 'jobs',
    summary: 'Read a job',
    auth: 'token',
    params: idParams,
    responses: { 200: jobOut('The job') },
    handler: async (ctx) => {
      const job = await repo.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
      if (!job) throw notFound('job');
      ctx.body = toJobResource(job);
    },
  });

  const cancel = route({
    method: 'post',
    path: '/v1/jobs/{id}/cancel',
    tag: 'jobs',
    summary: 'Cancel a job: at once if waiting, by signal to its worker if running',
    auth: 'token',
    params: idParams,
    responses: {
      200: jobOut('Cancelled'),
      202: jobOut('Running: its worker is told to stop'),
      409: problemAnswer('Already finished'),
    },
    handler: async (ctx) => {
      const owner = ownerScope(currentUser(ctx));
      const id = ctx.params['id'] ?? '';
      const res = await cancelJob(core, id, owner);
      if (res.kind === 'not-cancellable') {
        if (!(await repo.get(id, owner))) throw notFound('job');
        throw conflict('the job has already finished');
      }
      ctx.status = res.kind === 'cancelled' ? 200 : 202;
      ctx.body = toJobResource(res.job);
    },
  });

  const retry = route({
    method: 'post',
    path: '/v1/jobs/{id}/retry',
    tag: 'jobs',
    summary: 'Retry a failed or cancelled job',
    auth: 'token',
    params: idParams,
    responses: {
      202: jobOut('Queued again'),
      409: problemAnswer('Not failed or cancelled'),
    },
    handler: async (ctx) => {
      const owner = ownerScope(currentUser(ctx));
      const id = ctx.params['id'] ?? '';
      const job = await retryJob(core, id, owner);
      if (!job) {
        if (!(await repo.get(id, owner))) throw notFound('job');
        throw conflict('only failed or cancelled jobs can be retried');
      }
      ctx.status = 202;
      ctx.body = toJobResource(job);
    },
  });

  const remove = route({
    method: 'delete',
    path: '/v1/jobs/{id}',
    tag: 'jobs',
    summary: 'Delete a finished job (and its artifact)',
    auth: 'token',
    params: idParams,
    responses: {
      204: { description: 'Deleted' },
      409: problemAnswer('Not finished'),
    },
    handler: async (ctx) => {
      const owner = ownerScope(currentUser(ctx));
      const job = await repo.deleteFinished(ctx.params['id'] ?? '', owner);
      if (job === null) throw notFound('job');
      if (job === false) throw conflict('only finished jobs can be deleted');
      const artifactId = artifactOfJob(job);
      if (artifactId !== undefined) await deps.artifacts.delete(artifactId);
      // n.b. and every other file the job wrote (a report's CSV), as the retention purge does.
      await deps.artifacts.deleteByJobIds([job._id.toHexString()]);
      await deleteAttemptLogs(deps.runtime.mongo, [job._id.toHexString()]);
      ctx.status = 204;
    },
  });

  const result = route({
    method: 'get',
    path: '/v1/jobs/{id}/result',
    tag: 'jobs',
    summary: 'Download the artifact, or the JSON result',
    auth: 'token',
    params: idParams,
    responses: {
      200: { description: 'The artifact (its own content type) or the result as JSON' },
      409: problemAnswer('Not succeeded (yet)'),
    },
    handler: async (ctx) => {
      const job = await repo.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
      if (!job) throw notFound('job');
      await sendJobResult(ctx, job, deps.artifacts);
    },
  });

  return [
    submitOne,
    submitBatch,
    jobBulkRoutes(deps),
    list,
    read,
    cancel,
    retry,
    remove,
    result,
    jobAttemptRoutes(deps),
    jobPositionRoutes(deps),
  ];
}

/** Jobs created by a request belong to the request's trace. */
function traceOf(ctx: { state: unknown }): { traceparent?: string } {
  const trace = (ctx.state as TraceState).trace;
  return trace ? { traceparent: trace.traceparent } : {};
}

import {
  createScheduleSchema,
  parseWorkflow,
  typesIn,
  scheduleResourceSchema,
  updateScheduleSchema,
  type CreateSchedule,
  type ScheduleJobTemplate,
  type UpdateSchedule,
} from '@conveyor/contracts';
import {
  InvalidCronError,
  nextFireTime,
  parseCron,
  toJobResource,
  toScheduleResource,
  type FileStore,
  type JobTemplateDoc,
  type SchedulePatch,
  type ScheduleRepository,
  type WorkflowTemplateDoc,
} from '@conveyor/jobs/store';
import { toWorkflowResource } from '@conveyor/jobs/workflows';
import { InvalidWorkflowTemplateError, ScheduleFirer, type JobCore } from '@conveyor/jobs/dispatch';
import { createLogger } from '@conveyor/platform';
import { z } from 'zod';
import { currentUser } from '../auth/middleware.js';
import { ownerScope, type AuthUser } from '../auth/user.js';
import { conflict, notFound, ProblemError } from '../http/problem.js';
import type { TraceState } from '../http/tracing.js';
import { objectIdCursor, queryInt } from '../http/query-params.js';
import type { SubmissionLimiter } from '../http/rate-limit.js';
import { route, schemaRef, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN, pageOf, problemAnswer } from '../http/schemas.js';
import type { ApiDeps } from '../deps.js';
import { checkSubmission } from '../jobs/submission.js';
import { ownershipIssues } from '../workflows/routes.js';

const invalid = (field: string, message: string) =>
  new ProblemError(400, 'Invalid request', 'The request has invalid fields; see errors.', [
    { field, message },
  ]);

/** Checks the cron expression in its zone (it must parse and fire); a 400 naming the field otherwise. */
function checkCron(cron: string, timezone: string): void {
  try {
    parseCron(cron, timezone);
  } catch (err) {
    if (err instanceof InvalidCronError) throw invalid(err.field, err.message);
    throw err;
  }
}

/**
 * Validates a job template exactly like a submitted job (known type, payload per its schema,
 * uploads and digests that are the caller's own), with fields under `job.`.
 */
async function checkTemplate(
  t: ScheduleJobTemplate,
  user: AuthUser,
  deps: { uploads: FileStore; core: JobCore },
): Promise<JobTemplateDoc> {
  const checked = await checkSubmission(
    t,
    user,
    { uploads: deps.uploads, catalogue: deps.core.catalogue },
    'job',
  );
  if (!checked.ok)
    throw new ProblemError(
      400,
      'Invalid request',
      'The job template is invalid; see errors.',
      checked.errors,
    );
  return {
    type: checked.job.type,
    payload: JSON.stringify(checked.job.payload),
    priority: t.priority ?? 'normal',
    maxAttempts: t.maxAttempts ?? null,
    timeoutMs: t.timeoutMs ?? null,
  };
}

/**
 * Validates a workflow template exactly like a submitted workflow (the tree, each step's
 * payload, uploads, webhook secret, digests), with fields under `workflow.`.
 */
async function checkWorkflowTemplate(
  spec: Record<string, unknown>,
  user: AuthUser,
  deps: Pick<ApiDeps, 'webhookSecrets' | 'uploads' | 'core'>,
): Promise<WorkflowTemplateDoc> {
  const types = await deps.core.catalogue.lookup(typesIn(spec));
  const parsed = parseWorkflow(spec, types);
  const errors = parsed.ok ? await ownershipIssues(deps, user, parsed.root, types) : parsed.errors;
  if (errors.length > 0)
    throw new ProblemError(
      400,
      'Invalid request',
      'The workflow template is invalid; see errors.',
      errors.map((e) => ({ field: `workflow.${e.field}`, message: e.message })),
    );
  return { spec: JSON.stringify(spec) };
}

const listQuerySchema = z.strictObject({
  limit: queryInt(1, 100, 50),
  cursor: objectIdCursor('schedule'),
});

/** How many submissions a trigger of the schedule is: one job, or a workflow's job steps. */
function workflowSteps(doc: { workflowTemplate?: WorkflowTemplateDoc | null }): number {
  if (!doc.workflowTemplate) return 1;
  return Math.max(1, typesIn(JSON.parse(doc.workflowTemplate.spec) as unknown).length);
}

const scheduleOut = (description: string) => ({ description, schema: scheduleResourceSchema });
const idParams = { id: ID_PATTERN };

/**
 * `/v1/schedules`: create, list, read, update, delete and trigger cron schedules. Another
 * owner's schedule is a 404 (admins see all). A trigger draws from the submission limit.
 */
export function scheduleRoutes(deps: {
  repo: ScheduleRepository;
  core: JobCore;
  uploads: FileStore;
  webhookSecrets: ApiDeps['webhookSecrets'];
  limiter: SubmissionLimiter;
}): AnyRoute[] {
  const { repo, limiter } = deps;
  const firer = new ScheduleFirer(repo, deps.core, createLogger('api-schedules', 'warn'));

  const list = route({
    method: 'get',
    path: '/v1/schedules',
    tag: 'schedules',
    summary: 'List my schedules (admins: everyone’s), newest first',
    auth: 'token',
    query: listQuerySchema,
    responses: {
      200: { description: 'A page of schedules', schema: pageOf(schemaRef('ScheduleResource')) },
    },
    handler: async (ctx, { query: q }) => {
      const user = currentUser(ctx);
      const docs = await repo.list({
        owner: ownerScope(user),
        limit: q.limit,
        ...(q.cursor ? { before: q.cursor } : {}),
      });
      const last = docs.at(-1);
      const now = new Date();
      ctx.body = {
        items: docs.map((d) => toScheduleResource(d, now)),
        nextCursor: docs.length === q.limit && last ? last._id.toHexString() : null,
      };
    },
  });

  const create = route<unknown, CreateSchedule>({
    method: 'post',
    path: '/v1/schedules',
    tag: 'schedules',
    summary: 'Create a cron schedule that submits a job or a workflow at each fire time',
    auth: 'token',
    body: { schema: createScheduleSchema, required: true },
    responses: { 201: scheduleOut('Created (Location: the schedule)') },
    handler: async (ctx, { body }) => {
      const user = currentUser(ctx);
      checkCron(body.cron, body.timezone);
      const jobTemplate = body.job ? await checkTemplate(body.job, user, deps) : null;
      const workflowTemplate = body.workflow
        ? await checkWorkflowTemplate(body.workflow, user, deps)
        : null;
      const doc = await repo.create({
        owner: user.sub,
        ownerEmail: user.email,
        name: body.name,
        cron: body.cron,
        timezone: body.timezone,
        enabled: body.enabled,
        jobTemplate,
        workflowTemplate,
        misfirePolicy: body.misfirePolicy,
        overlapPolicy: body.overlapPolicy,
        nextFireAt: body.enabled ? nextFireTime(body.cron, body.timezone, new Date()) : null,
      });
      ctx.status = 201;
      ctx.set('Location', `/v1/schedules/${doc._id.toHexString()}`);
      ctx.body = toScheduleResource(doc);
    },
  });

  const read = route({
    method: 'get',
    path: '/v1/schedules/{id}',
    tag: 'schedules',
    summary: 'Read a schedule with its next five fire times',
    auth: 'token',
    params: idParams,
    responses: { 200: scheduleOut('The schedule') },
    handler: async (ctx) => {
      const doc = await repo.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
      if (!doc) throw notFound('schedule');
      ctx.body = toScheduleResource(doc);
    },
  });

  const update = route<unknown, UpdateSchedule>({
    method: 'patch',
    path: '/v1/schedules/{id}',
    tag: 'schedules',
    summary: 'Change any fields; the next fire time is recomputed from now',
    auth: 'token',
    params: idParams,
    body: { schema: updateScheduleSchema, required: true },
    responses: { 200: scheduleOut('The updated schedule') },
    handler: async (ctx, { body }) => {
      const user = currentUser(ctx);
      const owner = ownerScope(user);
      const id = ctx.params['id'] ?? '';
      const current = await repo.get(id, owner);
      if (!current) throw notFound('schedule');
      const cron = body.cron ?? current.cron;
      const timezone = body.timezone ?? current.timezone;
      const enabled = body.enabled ?? current.enabled;
      checkCron(cron, timezone);
      const patch: SchedulePatch = { cron, timezone, enabled };
      if (body.name !== undefined) patch.name = body.name;
      if (body.misfirePolicy !== undefined) patch.misfirePolicy = body.misfirePolicy;
      if (body.overlapPolicy !== undefined) patch.overlapPolicy = body.overlapPolicy;
      // n.b. a job replaces a workflow and the other way round: a schedule submits one kind
      if (body.job !== undefined) {
        patch.jobTemplate = await checkTemplate(body.job, user, deps);
        patch.workflowTemplate = null;
      }
      if (body.workflow !== undefined) {
        patch.workflowTemplate = await checkWorkflowTemplate(body.workflow, user, deps);
        patch.jobTemplate = null;
      }
      // n.b. recomputed from now: an edit or re-enable never replays fire times from before it.
      patch.nextFireAt = enabled ? nextFireTime(cron, timezone, new Date()) : null;
      const doc = await repo.update(id, patch, owner);
      if (!doc) throw notFound('schedule');
      ctx.body = toScheduleResource(doc);
    },
  });

  const remove = route({
    method: 'delete',
    path: '/v1/schedules/{id}',
    tag: 'schedules',
    summary: 'Delete a schedule (jobs it created stay)',
    auth: 'token',
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async (ctx) => {
      const deleted = await repo.delete(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
      if (!deleted) throw notFound('schedule');
      ctx.status = 204;
    },
  });

  const trigger = route({
    method: 'post',
    path: '/v1/schedules/{id}/trigger',
    tag: 'schedules',
    summary: 'Submit the schedule’s job or workflow now (does not move its next fire time)',
    auth: 'token',
    params: idParams,
    limited: true,
    responses: {
      202: {
        description:
          'The job submitted (job schedules) or the workflow started (workflow schedules)',
        schema: { oneOf: [schemaRef('JobResource'), schemaRef('WorkflowResource')] },
      },
      409: problemAnswer('The stored workflow no longer passes the checks of a submitted one'),
    },
    handler: async (ctx) => {
      const user = currentUser(ctx);
      const id = ctx.params['id'] ?? '';
      const doc = await repo.get(id, ownerScope(user));
      if (!doc) throw notFound('schedule');
      await limiter.take(user.sub, workflowSteps(doc));
      const now = new Date();
      let fired;
      try {
        fired = await firer.submit(
          doc,
          now,
          `schedule:${id}:manual:${now.toISOString()}`,
          (ctx.state as TraceState).trace?.traceparent,
        );
      } catch (err) {
        if (!(err instanceof InvalidWorkflowTemplateError)) throw err;
        throw conflict(err.message);
      }
      ctx.status = 202;
      ctx.body =
        fired.kind === 'job' ? toJobResource(fired.job) : toWorkflowResource(fired.workflow);
    },
  });

  return [list, create, read, update, remove, trigger];
}

import { Router } from '@koa/router';
import {
  createScheduleSchema,
  findJobType,
  updateScheduleSchema,
  type ScheduleJobTemplate,
} from '@conveyor/contracts';
import {
  InvalidCronError,
  nextFireTime,
  parseCron,
  toJobResource,
  toScheduleResource,
  type JobTemplateDoc,
  type SchedulePatch,
  type ScheduleRepository,
} from '@conveyor/jobs/store';
import { ScheduleFirer, type JobCore } from '@conveyor/jobs/dispatch';
import { createLogger } from '@conveyor/platform';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import { fieldErrors, notFound, parseOr400, ProblemError } from '../http/problem.js';

const invalid = (field: string, message: string) =>
  new ProblemError(400, 'Invalid request', 'The request has invalid fields; see errors.', [
    { field, message },
  ]);

/** Checks the cron expression in its zone; a 400 naming the field otherwise. */
function checkCron(cron: string, timezone: string): void {
  try {
    parseCron(cron, timezone);
  } catch (err) {
    if (err instanceof InvalidCronError) throw invalid(err.field, err.message);
    throw err;
  }
}

/** Validates a job template like a submitted job (known type, payload per its schema). */
function checkTemplate(t: ScheduleJobTemplate): JobTemplateDoc {
  const def = findJobType(t.type);
  if (!def) throw invalid('job.type', `unknown job type ${t.type}`);
  const payload = def.payload.safeParse(t.payload);
  if (!payload.success) {
    throw new ProblemError(
      400,
      'Invalid request',
      'The job payload is invalid; see errors.',
      fieldErrors(payload.error, 'job.payload'),
    );
  }
  return {
    type: t.type,
    payload: JSON.stringify(payload.data),
    priority: t.priority ?? 'normal',
    maxAttempts: t.maxAttempts ?? null,
    timeoutMs: t.timeoutMs ?? null,
  };
}

/** Cursor-paged list query. */
function listQuery(q: Record<string, unknown>): { limit: number; before?: string } {
  const limit = Math.min(100, Math.max(1, Number(q['limit'] ?? 50) || 50));
  const cursor = typeof q['cursor'] === 'string' ? q['cursor'] : undefined;
  return cursor ? { limit, before: cursor } : { limit };
}

/**
 * `/v1/schedules`: create, list, read, update, delete and trigger cron schedules. Expects the
 * authenticated caller on `ctx.state.user`; another owner's schedule is a 404 (admins see all).
 */
export function scheduleRoutes(deps: { repo: ScheduleRepository; core: JobCore }): Router {
  const { repo } = deps;
  const firer = new ScheduleFirer(repo, deps.core, createLogger('api-schedules', 'warn'));
  const router = new Router({ prefix: '/v1/schedules' });

  router.get('/', async (ctx) => {
    const user = currentUser(ctx);
    const q = listQuery(ctx.query);
    const docs = await repo.list({ owner: ownerScope(user), ...q });
    const last = docs.at(-1);
    const now = new Date();
    ctx.body = {
      items: docs.map((d) => toScheduleResource(d, now)),
      nextCursor: docs.length === q.limit && last ? last._id.toHexString() : null,
    };
  });

  router.post('/', async (ctx) => {
    const user = currentUser(ctx);
    const body = parseOr400(createScheduleSchema, ctx.request.body);
    checkCron(body.cron, body.timezone);
    const jobTemplate = checkTemplate(body.job);
    const doc = await repo.create({
      owner: user.sub,
      ownerEmail: user.email,
      name: body.name,
      cron: body.cron,
      timezone: body.timezone,
      enabled: body.enabled,
      jobTemplate,
      misfirePolicy: body.misfirePolicy,
      overlapPolicy: body.overlapPolicy,
      nextFireAt: body.enabled ? nextFireTime(body.cron, body.timezone, new Date()) : null,
    });
    ctx.status = 201;
    ctx.set('Location', `/v1/schedules/${doc._id.toHexString()}`);
    ctx.body = toScheduleResource(doc);
  });

  router.get('/:id', async (ctx) => {
    const doc = await repo.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
    if (!doc) throw notFound('schedule');
    ctx.body = toScheduleResource(doc);
  });

  router.patch('/:id', async (ctx) => {
    const owner = ownerScope(currentUser(ctx));
    const id = ctx.params['id'] ?? '';
    const current = await repo.get(id, owner);
    if (!current) throw notFound('schedule');
    const body = parseOr400(updateScheduleSchema, ctx.request.body);
    const cron = body.cron ?? current.cron;
    const timezone = body.timezone ?? current.timezone;
    const enabled = body.enabled ?? current.enabled;
    checkCron(cron, timezone);
    const patch: SchedulePatch = { cron, timezone, enabled };
    if (body.name !== undefined) patch.name = body.name;
    if (body.misfirePolicy !== undefined) patch.misfirePolicy = body.misfirePolicy;
    if (body.overlapPolicy !== undefined) patch.overlapPolicy = body.overlapPolicy;
    if (body.job !== undefined) patch.jobTemplate = checkTemplate(body.job);
    // n.b. recomputed from now: an edit or re-enable never replays fire times from before it.
    patch.nextFireAt = enabled ? nextFireTime(cron, timezone, new Date()) : null;
    const doc = await repo.update(id, patch, owner);
    if (!doc) throw notFound('schedule');
    ctx.body = toScheduleResource(doc);
  });

  router.delete('/:id', async (ctx) => {
    const deleted = await repo.delete(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
    if (!deleted) throw notFound('schedule');
    ctx.status = 204;
  });

  router.post('/:id/trigger', async (ctx) => {
    const id = ctx.params['id'] ?? '';
    const doc = await repo.get(id, ownerScope(currentUser(ctx)));
    if (!doc) throw notFound('schedule');
    const now = new Date();
    const { job } = await firer.submit(doc, now, `schedule:${id}:manual:${now.toISOString()}`);
    ctx.status = 202;
    ctx.body = toJobResource(job);
  });

  return router;
}

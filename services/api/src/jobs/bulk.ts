import { z } from 'zod';
import { jobStatusSchema, type JobStatus } from '@conveyor/contracts';
import { cancelJob, retryJob } from '@conveyor/jobs/dispatch';
import { currentUser } from '../auth/middleware.js';
import { jobFilter, jobsCollection } from '../dashboard/job-reads.js';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { problemAnswer } from '../http/schemas.js';
import { SEARCH_PATH } from '@conveyor/contracts';
import { checkPayloadSearch, payloadSearchShape, searchFilter } from './search.js';

/** Jobs one bulk request acts on at most; a wider filter is refused (narrow it). */
export const BULK_LIMIT = 10_000;
/** Jobs moved at once while a bulk request runs. */
const BULK_CONCURRENCY = 8;

/** The states each action applies to (the first is the default when the filter names none). */
const ACTIONABLE: Record<'retry' | 'cancel', readonly JobStatus[]> = {
  retry: ['failed', 'cancelled'],
  cancel: ['queued', 'scheduled', 'running'],
};

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const bulkSchema = z.strictObject({
  action: z.enum(['retry', 'cancel']),
  /**
   * The jobs list's filters: status, type, owner (admins), creation time range, free text,
   * payload search.
   */
  filter: z
    .strictObject({
      status: jobStatusSchema.optional(),
      type: z.string().min(1).max(100).optional(),
      owner: z.string().min(1).max(200).optional(),
      from: isoDate.optional(),
      to: isoDate.optional(),
      q: z.string().trim().min(1).max(200).optional(),
      ...payloadSearchShape,
    })
    .superRefine((f, ctx) => checkPayloadSearch(f, ctx))
    .default({}),
  /** Only count the jobs the action would apply to. */
  dryRun: z.boolean().default(false),
  /**
   * The count the caller confirmed (from a dry run): the request is refused with 409 when the
   * filter now matches more jobs than that.
   */
  expected: z.int().min(0).max(BULK_LIMIT).optional(),
});

/** The request as documented: one shape per action, with the states it applies to. */
const bulkDocFor = (action: 'retry' | 'cancel') => ({
  type: 'object',
  properties: {
    action: { type: 'string', const: action },
    filter: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: [...ACTIONABLE[action]] },
        type: { type: 'string', minLength: 1, maxLength: 100 },
        owner: { type: 'string', minLength: 1, maxLength: 200 },
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time' },
        q: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
        field: { type: 'string', maxLength: 200, pattern: SEARCH_PATH.source },
        value: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
        // n.b. and a word of two letters or digits (a 400 says so): no regex dialect says that alike
        text: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
      },
      dependentRequired: { field: ['value'], value: ['field'] },
      additionalProperties: false,
    },
    dryRun: { type: 'boolean', default: false },
    expected: { type: 'integer', minimum: 0, maximum: BULK_LIMIT },
  },
  required: ['action'],
  additionalProperties: false,
});
const bulkDoc = { oneOf: [bulkDocFor('retry'), bulkDocFor('cancel')] };

const invalid = (field: string, message: string) =>
  new ProblemError(400, 'Invalid request', 'The request has invalid fields; see errors.', [
    { field, message },
  ]);

/**
 * `POST /v1/jobs/bulk`: retry or cancel every job a filter matches — not only a selection —
 * with a count first (`dryRun`) and that count confirmed (`expected`). Retry applies to failed
 * (default) or cancelled jobs, cancel to queued and scheduled (default) or running ones; each
 * job goes through the same use case as its single-job route, so one that moved meanwhile is
 * skipped. Your own jobs unless admin; at most {@link BULK_LIMIT} per request.
 */
export function jobBulkRoutes(deps: ApiDeps): AnyRoute {
  return route<unknown, z.infer<typeof bulkSchema>>({
    method: 'post',
    path: '/v1/jobs/bulk',
    tag: 'jobs',
    summary: 'Retry or cancel every job a filter matches (count first with dryRun)',
    auth: 'token',
    body: { schema: bulkSchema, required: true, doc: bulkDoc },
    responses: {
      200: {
        description: 'How many jobs matched, and how many were moved or skipped',
        schema: {
          type: 'object',
          properties: {
            action: { type: 'string' },
            matched: { type: 'integer' },
            done: { type: 'integer' },
            skipped: { type: 'integer' },
            dryRun: { type: 'boolean' },
          },
          required: ['action', 'matched', 'done', 'skipped', 'dryRun'],
        },
      },
      400: problemAnswer(
        'A filter status the action does not apply to, or a filter matching more than 10,000 jobs',
      ),
      409: problemAnswer('The filter matches more jobs than were confirmed'),
    },
    handler: async (ctx, { body }) => {
      const user = currentUser(ctx);
      const owner = user.admin ? undefined : user.sub;
      const { action, filter: f } = body;
      const allowed = ACTIONABLE[action];
      if (f.status !== undefined && !allowed.includes(f.status))
        throw invalid('filter.status', `${action} applies to ${allowed.join(' or ')} jobs`);
      const filter = searchFilter({ ...f, limit: BULK_LIMIT }, owner);
      filter['status'] =
        f.status ?? (action === 'retry' ? 'failed' : { $in: ['queued', 'scheduled'] });
      const ids = await jobsCollection(deps.runtime.mongo)
        .find(jobFilter(filter), { projection: { _id: 1 } })
        .limit(BULK_LIMIT + 1)
        .map((d) => d._id.toHexString())
        .toArray();
      if (ids.length > BULK_LIMIT)
        throw invalid(
          'filter',
          `matches more than ${BULK_LIMIT} jobs; narrow it (a type, a time range)`,
        );
      if (body.expected !== undefined && ids.length > body.expected)
        throw new ProblemError(
          409,
          'Conflict',
          `the filter matches ${ids.length} jobs now, more than the ${body.expected} confirmed; count again`,
        );
      let done = 0;
      if (!body.dryRun) {
        const act = async (id: string) => {
          const moved =
            action === 'retry'
              ? (await retryJob(deps.core, id, owner)) !== null
              : (await cancelJob(deps.core, id, owner)).kind !== 'not-cancellable';
          if (moved) done++;
        };
        for (let i = 0; i < ids.length; i += BULK_CONCURRENCY)
          await Promise.all(ids.slice(i, i + BULK_CONCURRENCY).map(act));
      }
      ctx.body = {
        action,
        matched: ids.length,
        done,
        skipped: body.dryRun ? 0 : ids.length - done,
        dryRun: body.dryRun,
      };
    },
  });
}

import { Types, type Connection } from 'mongoose';
import { z } from 'zod';
import {
  fieldSearchKey,
  jobStatusSchema,
  SEARCH_LIMITS,
  SEARCH_PATH,
  wordSearchKeys,
  type JobResource,
} from '@conveyor/contracts';
import { toJobResource } from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import { jobsCollection, newestJobs } from '../dashboard/job-reads.js';
import type { ApiDeps } from '../deps.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { jobPageSchema } from '../http/schemas.js';
import { objectIdCursor, queryInt } from '../http/query-params.js';

const isoDate = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .or(z.iso.date().transform((s) => new Date(`${s}T00:00:00Z`)));

/** The payload-search part of a search: a field path and value, and/or words. */
export const payloadSearchShape = {
  field: z
    .string()
    .max(200)
    .regex(
      SEARCH_PATH,
      'must be a payload path: dotted names of letters, digits, _ and -, e.g. customer.id',
    )
    .optional()
    .describe(
      'A payload path the job type declares searchable (`to`, `customer.id`); needs `value`',
    ),
  value: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe(
      `The value at \`field\`: equal ignoring case (its first ${SEARCH_LIMITS.valueChars} characters), or one element of an array there`,
    ),
  text: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Words that all appear in the searchable string fields of the payload (whole words, ignoring case)',
    ),
};

type PayloadSearch = {
  field?: string | undefined;
  value?: string | undefined;
  text?: string | undefined;
};

/** Field errors of a payload search: field and value come together; text needs a word. */
export function checkPayloadSearch(q: PayloadSearch, ctx: z.RefinementCtx, prefix: string[] = []) {
  if (q.field !== undefined && q.value === undefined)
    ctx.addIssue({ code: 'custom', path: [...prefix, 'value'], message: 'is required with field' });
  if (q.value !== undefined && q.field === undefined)
    ctx.addIssue({ code: 'custom', path: [...prefix, 'field'], message: 'is required with value' });
  if (q.text !== undefined && wordSearchKeys(q.text).length === 0)
    ctx.addIssue({
      code: 'custom',
      path: [...prefix, 'text'],
      message: `has no word of ${SEARCH_LIMITS.wordMin} to ${SEARCH_LIMITS.wordMax} letters or digits`,
    });
}

/**
 * `GET /v1/jobs/search` query: the list's filters plus `owner` (admins only), a creation-time
 * range, free text over ids and errors, and a payload search. Single strings only, like the
 * list: no operator object reaches a query.
 */
export const searchJobsQuerySchema = z
  .strictObject({
    status: jobStatusSchema.optional(),
    type: z.string().min(1).max(100).optional(),
    owner: z.string().min(1).max(200).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    q: z.string().trim().min(1).max(200).optional(),
    ...payloadSearchShape,
    limit: queryInt(1, 200, 50),
    cursor: objectIdCursor('job'),
  })
  .superRefine((q, ctx) => checkPayloadSearch(q, ctx));
export type SearchJobsQuery = z.infer<typeof searchJobsQuerySchema>;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The MongoDB filter of a search. The time range is a range on `_id` (an ObjectId starts with
 * its creation second), so every search walks an `{owner, [status|type,] _id}` index newest
 * first and stops after `limit` matches; free text matches the id exactly, the idempotency key
 * or error code exactly, or the error message case-insensitively. A payload search (`field` +
 * `value`, `text`) is an equality on `searchKeys`, served by the `{owner, searchKeys, _id}`
 * index (`{searchKeys, _id}` for an admin across owners).
 */
export function searchFilter(
  q: SearchJobsQuery,
  scope: string | undefined,
): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  const owner = scope ?? q.owner;
  if (owner !== undefined) filter['owner'] = owner;
  if (q.status) filter['status'] = q.status;
  if (q.type) filter['type'] = q.type;
  const id: Record<string, Types.ObjectId> = {};
  if (q.cursor) id['$lt'] = new Types.ObjectId(q.cursor);
  if (q.to) {
    const to = Types.ObjectId.createFromTime(Math.floor(q.to.getTime() / 1000) + 1);
    if (!id['$lt'] || to.toHexString() < id['$lt'].toHexString()) id['$lt'] = to;
  }
  if (q.from) id['$gte'] = Types.ObjectId.createFromTime(Math.floor(q.from.getTime() / 1000));
  if (Object.keys(id).length > 0) filter['_id'] = id;
  const keys = payloadSearchKeys(q);
  if (keys.length === 1) filter['searchKeys'] = keys[0];
  else if (keys.length > 1) filter['searchKeys'] = { $all: keys };
  if (q.q !== undefined) {
    const text = q.q;
    filter['$or'] = /^[a-f0-9]{24}$/.test(text)
      ? [{ _id: new Types.ObjectId(text) }, { idempotencyKey: text }]
      : [
          { idempotencyKey: text },
          { 'error.code': text },
          { 'error.message': { $regex: escapeRegex(text), $options: 'i' } },
        ];
  }
  return filter;
}

/**
 * The keys a payload search looks up (see `searchKeysOf`): the field key first, then at most
 * eight words. The store seeks the `{[owner,] searchKeys, _id}` index on the first and
 * checks the rest on the jobs it finds.
 */
export function payloadSearchKeys(q: PayloadSearch): string[] {
  const keys: string[] = [];
  if (q.field !== undefined && q.value !== undefined) keys.push(fieldSearchKey(q.field, q.value));
  if (q.text !== undefined) keys.push(...wordSearchKeys(q.text, 8));
  return keys;
}

/**
 * The one index the search adds to the job model's: an admin's status filter across owners,
 * newest first (`{status, _id}`); every other search is served by the model's
 * `{owner, [status | type,] _id}` indexes or `_id` itself.
 */
export async function ensureSearchIndexes(conn: Connection): Promise<void> {
  await jobsCollection(conn).createIndex({ status: 1, _id: -1 });
}

/** One page of the jobs `filter` (see {@link searchFilter}) matches, newest first. */
export async function jobPage(
  conn: Connection,
  filter: Record<string, unknown>,
  limit: number,
): Promise<{ items: JobResource[]; nextCursor: string | null }> {
  const docs = await newestJobs(conn, filter, limit);
  const last = docs.at(-1);
  return {
    items: docs.map(toJobResource),
    nextCursor: docs.length === limit && last ? last._id.toHexString() : null,
  };
}

/** `GET /v1/jobs/search`: filtered, cursor-paged job list for the dashboard, newest first. */
export function jobSearchRoutes(deps: ApiDeps): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/jobs/search',
    tag: 'dashboard',
    summary: 'Search my jobs (admins: anyone’s), newest first, cursor-paged',
    description:
      '`owner` is for admins only (ignored for everyone else); `from`/`to` bound the creation time; `q` matches a job id, an idempotency key or error code exactly, or part of the error message. `field` + `value` find jobs whose payload holds that value at that path, `text` jobs whose payload strings hold all those words: only at the paths the job type declares searchable (`search` in GET /v1/job-types; by default its top-level scalar fields), through an index.',
    auth: 'token',
    query: searchJobsQuerySchema,
    responses: { 200: { description: 'A page of jobs', schema: jobPageSchema } },
    handler: async (ctx, { query: q }) => {
      const scope = ownerScope(currentUser(ctx));
      ctx.body = await jobPage(deps.runtime.mongo, searchFilter(q, scope), q.limit);
    },
  });
}

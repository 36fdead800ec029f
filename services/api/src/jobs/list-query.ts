import { z } from 'zod';
import { jobStatusSchema } from '@conveyor/contracts';
import { objectIdCursor, queryInt } from '../http/query-params.js';
import { checkPayloadSearch, payloadSearchShape } from './search.js';

/**
 * `GET /v1/jobs` query: status, type and the payload search of `GET /v1/jobs/search`
 * (`field` + `value`, `text`), checked by the same rules. Each value must be a single string:
 * repeated parameters and bracket syntax (`status[$ne]=x`) are refused, so no operator object
 * can reach a query.
 */
export const listJobsQuerySchema = z
  .strictObject({
    status: jobStatusSchema.optional(),
    type: z.string().min(1).max(100).optional(),
    ...payloadSearchShape,
    limit: queryInt(1, 200, 50),
    cursor: objectIdCursor('job'),
  })
  .superRefine((q, ctx) => checkPayloadSearch(q, ctx));

import { z } from 'zod';
import { jobStatusSchema } from '@conveyor/contracts';
import { objectIdCursor, queryInt } from '../http/query-params.js';

/**
 * `GET /v1/jobs` query. Each value must be a single string: repeated parameters and
 * bracket syntax (`status[$ne]=x`) are refused, so no operator object can reach a query.
 */
export const listJobsQuerySchema = z.strictObject({
  status: jobStatusSchema.optional(),
  type: z.string().min(1).max(100).optional(),
  limit: queryInt(1, 200, 50),
  cursor: objectIdCursor('job'),
});

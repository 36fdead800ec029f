import { z } from 'zod';
import { jobStatusSchema } from '@conveyor/contracts';

/**
 * `GET /v1/jobs` query. Each value must be a single string: repeated parameters and
 * bracket syntax (`status[$ne]=x`) are refused, so no operator object can reach a query.
 */
export const listJobsQuerySchema = z.strictObject({
  status: jobStatusSchema.optional(),
  type: z.string().min(1).max(100).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.int().min(1).max(200))
    .default(50),
  cursor: z
    .string()
    .regex(/^[a-f0-9]{24}$/, 'must be the id of the last job of the previous page')
    .optional(),
});

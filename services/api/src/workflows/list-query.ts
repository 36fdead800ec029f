import { z } from 'zod';
import { WORKFLOW_STATUSES } from '@conveyor/contracts';

/** `GET /v1/workflows` query; single string values only (no operator objects). */
export const listWorkflowsQuerySchema = z.strictObject({
  status: z.enum(WORKFLOW_STATUSES).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.int().min(1).max(200))
    .default(50),
  cursor: z
    .string()
    .regex(/^[a-f0-9]{24}$/, 'must be the id of the last workflow of the previous page')
    .optional(),
});

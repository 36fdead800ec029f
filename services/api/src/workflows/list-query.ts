import { z } from 'zod';
import { WORKFLOW_STATUSES } from '@conveyor/contracts';
import { objectIdCursor, queryInt } from '../http/query-params.js';

/** `GET /v1/workflows` query; single string values only (no operator objects). */
export const listWorkflowsQuerySchema = z.strictObject({
  status: z.enum(WORKFLOW_STATUSES).optional(),
  limit: queryInt(1, 200, 50),
  cursor: objectIdCursor('workflow'),
});

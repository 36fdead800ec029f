import { z } from 'zod';
import { JOB_LIMITS } from './job.js';
import { prioritySchema } from './priority.js';
import { FAILURE_POLICIES } from './workflow.js';

/** What a schedule does with fire times missed while no scheduler ran (contract). */
export const MISFIRE_POLICIES = ['skip', 'run-once'] as const;
/** What a schedule does when its previous job is still pending or running (contract). */
export const OVERLAP_POLICIES = ['allow', 'skip'] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** True when `tz` is an IANA time zone this runtime knows (e.g. `Europe/Berlin`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The job a schedule submits at each fire time; the payload is checked against its type by the API. */
export const scheduleJobTemplateSchema = z.strictObject({
  type: z.string().min(1).max(100),
  payload: z.unknown(),
  priority: prioritySchema.optional(),
  maxAttempts: z.int().min(1).max(JOB_LIMITS.maxAttempts).optional(),
  timeoutMs: z.int().min(JOB_LIMITS.minTimeoutMs).max(JOB_LIMITS.maxTimeoutMs).optional(),
});
export type ScheduleJobTemplate = z.infer<typeof scheduleJobTemplateSchema>;

/**
 * The workflow a schedule submits at each fire time: exactly the body of `POST
 * /v1/workflows` (its step tree is checked by the API like a submitted workflow's).
 */
export const scheduleWorkflowTemplateSchema = z.record(z.string(), z.unknown()).meta({
  $ref: '#/components/schemas/SubmitWorkflow',
  description: 'A workflow as POST /v1/workflows takes it: {name?, policy?, workflow}',
});

const field = {
  name: z.string().trim().min(1).max(200),
  // n.b. the expression itself is parsed by the API with the cron library (5 or 6 fields).
  cron: z.string().trim().min(1).max(200),
  timezone: z
    .string()
    .min(1)
    .max(100)
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  enabled: z.boolean(),
  job: scheduleJobTemplateSchema,
  workflow: scheduleWorkflowTemplateSchema,
  misfirePolicy: z.enum(MISFIRE_POLICIES),
  overlapPolicy: z.enum(OVERLAP_POLICIES),
};

const ONE_TEMPLATE = 'give exactly one of job or workflow: what the schedule submits';

/**
 * Body of `POST /v1/schedules`: what to submit at each fire time is either a `job` or a
 * `workflow`. Defaults: `timezone` `UTC`, `enabled` true, `misfirePolicy` `skip` (missed
 * fire times are dropped), `overlapPolicy` `allow`.
 */
export const createScheduleSchema = z
  .strictObject({
    name: field.name,
    cron: field.cron,
    timezone: field.timezone.default('UTC'),
    enabled: field.enabled.default(true),
    job: field.job.optional(),
    workflow: field.workflow.optional(),
    misfirePolicy: field.misfirePolicy.default('skip'),
    overlapPolicy: field.overlapPolicy.default('allow'),
  })
  .refine((c) => (c.job === undefined) !== (c.workflow === undefined), {
    message: ONE_TEMPLATE,
    path: ['job'],
  });
export type CreateSchedule = z.infer<typeof createScheduleSchema>;

/** Body of `PATCH /v1/schedules/:id`: any subset of the create fields, at least one. */
export const updateScheduleSchema = z
  .strictObject({
    name: field.name.optional(),
    cron: field.cron.optional(),
    timezone: field.timezone.optional(),
    enabled: field.enabled.optional(),
    job: field.job.optional(),
    workflow: field.workflow.optional(),
    misfirePolicy: field.misfirePolicy.optional(),
    overlapPolicy: field.overlapPolicy.optional(),
  })
  .refine((u) => Object.keys(u).length > 0, { message: 'give at least one field to change' })
  .refine((u) => u.job === undefined || u.workflow === undefined, {
    message: 'give job or workflow, not both: a schedule submits one of them',
    path: ['workflow'],
  });
export type UpdateSchedule = z.infer<typeof updateScheduleSchema>;

/** The schedule resource the API returns (contract). */
export const scheduleResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  /** The job each fire submits; null when the schedule submits a workflow. */
  job: z
    .object({
      type: z.string(),
      payload: z.unknown(),
      priority: prioritySchema,
      maxAttempts: z.int().nullable(),
      timeoutMs: z.int().nullable(),
    })
    .nullable(),
  /** The workflow each fire submits (the body of POST /v1/workflows); null for a job schedule. */
  workflow: z
    .object({
      name: z.string().nullable(),
      policy: z.enum(FAILURE_POLICIES),
      workflow: z.unknown(),
    })
    .nullable(),
  misfirePolicy: z.enum(MISFIRE_POLICIES),
  overlapPolicy: z.enum(OVERLAP_POLICIES),
  /** The next five fire times (ISO 8601, UTC); empty while disabled. */
  nextFireTimes: z.array(z.string()),
  lastFireAt: z.string().nullable(),
  /** The job of the latest fire (job schedules). */
  lastJobId: z.string().nullable(),
  /** The workflow of the latest fire (workflow schedules). */
  lastWorkflowId: z.string().nullable(),
  owner: z.string(),
  createdAt: z.string(),
});
export type ScheduleResource = z.infer<typeof scheduleResourceSchema>;

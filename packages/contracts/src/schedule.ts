import { z } from 'zod';
import { JOB_LIMITS } from './job.js';
import { prioritySchema } from './priority.js';

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
  misfirePolicy: z.enum(MISFIRE_POLICIES),
  overlapPolicy: z.enum(OVERLAP_POLICIES),
};

/**
 * Body of `POST /v1/schedules`. Defaults: `timezone` `UTC`, `enabled` true, `misfirePolicy`
 * `skip` (missed fire times are dropped), `overlapPolicy` `allow`.
 */
export const createScheduleSchema = z.strictObject({
  name: field.name,
  cron: field.cron,
  timezone: field.timezone.default('UTC'),
  enabled: field.enabled.default(true),
  job: field.job,
  misfirePolicy: field.misfirePolicy.default('skip'),
  overlapPolicy: field.overlapPolicy.default('allow'),
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
    misfirePolicy: field.misfirePolicy.optional(),
    overlapPolicy: field.overlapPolicy.optional(),
  })
  .refine((u) => Object.keys(u).length > 0, { message: 'give at least one field to change' });
export type UpdateSchedule = z.infer<typeof updateScheduleSchema>;

/** The schedule resource the API returns (contract). */
export const scheduleResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  job: z.object({
    type: z.string(),
    payload: z.unknown(),
    priority: prioritySchema,
    maxAttempts: z.int().nullable(),
    timeoutMs: z.int().nullable(),
  }),
  misfirePolicy: z.enum(MISFIRE_POLICIES),
  overlapPolicy: z.enum(OVERLAP_POLICIES),
  /** The next five fire times (ISO 8601, UTC); empty while disabled. */
  nextFireTimes: z.array(z.string()),
  lastFireAt: z.string().nullable(),
  lastJobId: z.string().nullable(),
  owner: z.string(),
  createdAt: z.string(),
});
export type ScheduleResource = z.infer<typeof scheduleResourceSchema>;

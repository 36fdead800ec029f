import { z } from 'zod';
import { prioritySchema } from './priority.js';

/** The job lifecycle (contract). */
export const JOB_STATUSES = [
  'scheduled',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof jobStatusSchema>;
export const TERMINAL_STATUSES: readonly JobStatus[] = Object.freeze([
  'succeeded',
  'failed',
  'cancelled',
]);
export const isTerminal = (s: JobStatus) => TERMINAL_STATUSES.includes(s);

export const JOB_LIMITS = Object.freeze({
  maxAttempts: 25,
  minTimeoutMs: 100,
  maxTimeoutMs: 24 * 3600_000,
  maxDelayMs: 366 * 24 * 3600_000,
  idempotencyKeyLength: 200,
  batch: 1000,
});

export const jobErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

export const progressSchema = z.object({
  percent: z.number().min(0).max(100),
  message: z.string().max(500).optional(),
});
export type Progress = z.infer<typeof progressSchema>;

/**
 * What a client may send to create a job. Unknown keys are rejected, so `status`, `owner`,
 * `attempts` or `_id` can never be smuggled in.
 */
/** Idempotency-key prefixes Conveyor's own jobs use. */
export const RESERVED_KEY_PREFIX = /^(schedule|digest|callback|report|workflow):/;

export const submitJobSchema = z
  .strictObject({
    type: z.string().min(1).max(100),
    payload: z.unknown(),
    priority: prioritySchema.optional(),
    runAt: z.iso.datetime({ offset: true }).optional(),
    delayMs: z.int().min(0).max(JOB_LIMITS.maxDelayMs).optional(),
    maxAttempts: z.int().min(1).max(JOB_LIMITS.maxAttempts).optional(),
    timeoutMs: z.int().min(JOB_LIMITS.minTimeoutMs).max(JOB_LIMITS.maxTimeoutMs).optional(),
    idempotencyKey: z
      .string()
      .min(1)
      .max(JOB_LIMITS.idempotencyKeyLength)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      // n.b. schedule fires, digests, completion callbacks and mailed reports key their jobs
      // `schedule:…` / `digest:…` / `callback:…` / `report:…` / `workflow:…`; a client key with those
      // prefixes could take their place
      .refine(
        (k) => !RESERVED_KEY_PREFIX.test(k),
        'the prefixes schedule:, digest:, callback:, report: and workflow: are reserved',
      )
      .optional(),
    /**
     * When the job reaches a final state, its resource is POSTed here as a signed
     * `webhook.deliver` job of its own (see the webhook job type).
     */
    callbackUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
  })
  .refine((j) => !(j.runAt !== undefined && j.delayMs !== undefined), {
    message: 'give runAt or delayMs, not both',
    path: ['runAt'],
  });
export type SubmitJob = z.infer<typeof submitJobSchema>;

export const submitBatchSchema = z.strictObject({
  jobs: z.array(z.unknown()).min(1).max(JOB_LIMITS.batch),
});

/** The job resource the API returns (contract). */
export const jobResourceSchema = z.object({
  id: z.string(),
  type: z.string(),
  status: jobStatusSchema,
  priority: prioritySchema,
  attempts: z.int(),
  maxAttempts: z.int(),
  timeoutMs: z.int(),
  runAt: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** When the latest attempt was queued (due and sent to a worker); null while scheduled. */
  queuedAt: z.string().nullable(),
  /**
   * How long the latest attempt waited in its queue, `startedAt - queuedAt` in ms; null until
   * it starts (a waiting job has waited `now - queuedAt` so far).
   */
  queueWaitMs: z.int().nullable(),
  /**
   * How long the latest attempt ran, `finishedAt - startedAt` in ms, for a job that ended
   * while running; null otherwise (a running job has run `now - startedAt` so far).
   */
  runMs: z.int().nullable(),
  progress: progressSchema.nullable(),
  payload: z.unknown(),
  result: z.unknown().nullable(),
  error: jobErrorSchema.nullable(),
  owner: z.string(),
  scheduleId: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
});
export type JobResource = z.infer<typeof jobResourceSchema>;

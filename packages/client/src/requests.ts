import type { JobTypeLike, JobTypeRef, PayloadInput } from './job-type.js';
import type {
  FailurePolicy,
  JobStatus,
  MisfirePolicy,
  OverlapPolicy,
  Priority,
  WorkflowStatus,
} from './resources.js';

/** Options of a job submission; everything not given comes from the job type's defaults. */
export interface SubmitOptions {
  /** @default the job type's priority, else `normal` */
  priority?: Priority;
  /** Run no earlier than this time (a Date or ISO 8601). Give `runAt` or `delayMs`, not both. @default now */
  runAt?: Date | string;
  /** Run no earlier than this many ms from now. @default 0 */
  delayMs?: number;
  /** Attempts before the job fails for good (1–25). @default the job type's */
  maxAttempts?: number;
  /** Per-attempt timeout in ms. @default the job type's */
  timeoutMs?: number;
  /**
   * A key of your own: submitting the same key again (same owner) answers the first job
   * instead of creating another. Printable ASCII; `schedule:`, `digest:`, `callback:`,
   * `report:` and `workflow:` prefixes are reserved. @default none
   */
  idempotencyKey?: string;
  /** When the job is final, its resource is POSTed here as a signed webhook. @default none */
  callbackUrl?: string;
}

/** One job of {@link ConveyorClient.submitBatch}. */
export interface BatchItem extends SubmitOptions {
  /** The job type, by definition or by name. */
  type: JobTypeRef;
  payload: unknown;
}

/** A typed batch item: `payload` is checked against the definition's input type. */
export function batchItem<T extends JobTypeLike>(
  type: T,
  payload: PayloadInput<T>,
  opts: SubmitOptions = {},
): BatchItem {
  return { ...opts, type, payload };
}

/** Filter of {@link ConveyorClient.list} and {@link ConveyorClient.search}. */
export interface ListJobsFilter {
  /** @default any */
  status?: JobStatus;
  /** A job type, by definition or by name. @default any */
  type?: JobTypeRef;
  /** Jobs per page (1–200). @default 50 */
  pageSize?: number;
  /** Start after this cursor (from a page's `nextCursor`). @default the newest job */
  cursor?: string;
}

/**
 * What {@link ConveyorClient.search} looks for in job payloads: `field` and `value`, `text`,
 * or all three (then both must hold). Only the paths each job type declares searchable are
 * looked at (`search` of its definition; by default its top-level fields holding a scalar or
 * an array of them), and only in jobs stored with search keys.
 */
export type PayloadSearch =
  | {
      /** A searchable payload path, dotted for nested fields (`to`, `customer.id`). */
      field: string;
      /**
       * The value at `field`: equal ignoring case (on its first 64 characters), or equal to
       * one element of an array there.
       */
      value: string;
      /** Words that must also all appear in the searchable strings. @default none */
      text?: string;
    }
  | {
      /**
       * Words that all appear in the searchable strings of the payload (whole words of two
       * or more letters or digits, ignoring case).
       */
      text: string;
      /** Give `field` with `value` only. @default none */
      field?: undefined;
      /** Give `value` with `field` only. @default none */
      value?: undefined;
    };

/** The job a schedule submits at each fire time. */
export interface ScheduleJobTemplate<T extends JobTypeRef = JobTypeRef> {
  /** The job type, by definition or by name. */
  type: T;
  payload: T extends JobTypeLike ? PayloadInput<T> : unknown;
  /** @default `normal` */
  priority?: Priority;
  /** @default the job type's */
  maxAttempts?: number;
  /** @default the job type's */
  timeoutMs?: number;
}

/** Body of {@link Schedules.create}: give exactly one of `job` and `workflow`. */
export interface CreateScheduleRequest<T extends JobTypeRef = JobTypeRef> {
  name: string;
  /** Cron expression, 5 fields or 6 (seconds first). */
  cron: string;
  /** IANA time zone the expression is read in. @default `UTC` */
  timezone?: string;
  /** @default true */
  enabled?: boolean;
  /** The job each fire submits. */
  job?: ScheduleJobTemplate<T>;
  /** The workflow each fire submits. */
  workflow?: WorkflowRequest;
  /** @default `skip` (missed fire times are dropped) */
  misfirePolicy?: MisfirePolicy;
  /** @default `allow` */
  overlapPolicy?: OverlapPolicy;
}

/** Body of {@link Schedules.update}: the fields to change (at least one). */
export type UpdateScheduleRequest<T extends JobTypeRef = JobTypeRef> = Partial<
  CreateScheduleRequest<T>
>;

/** Where a step takes the previous step's result. */
export interface StepInput {
  /** The payload field (dotted path) that receives it. */
  into: string;
  /** The part of the result to take (dotted path; `*` maps over a group's results). @default all */
  select?: string;
  /** `json` turns it into JSON text. @default `value` */
  as?: 'value' | 'json';
}

/** A job step of a workflow. */
export interface JobStep {
  /** The job type, by definition or by name. */
  type: JobTypeRef;
  payload: unknown;
  name?: string;
  input?: StepInput;
  priority?: Priority;
  maxAttempts?: number;
  timeoutMs?: number;
}

/** A step of a workflow: a job, or a chain / group / chord of steps (nests up to 8 deep). */
export type WorkflowStepRequest =
  | JobStep
  | { name?: string; chain: WorkflowStepRequest[] }
  | { name?: string; group: WorkflowStepRequest[] }
  | { name?: string; chord: { header: WorkflowStepRequest[]; body: WorkflowStepRequest } };

/** A typed job step: `payload` is checked against the definition's input type. */
export function step<T extends JobTypeLike>(
  type: T,
  payload: PayloadInput<T>,
  extra: Omit<JobStep, 'type' | 'payload'> = {},
): JobStep {
  return { ...extra, type, payload };
}

/** Body of {@link Workflows.submit}. */
export interface WorkflowRequest {
  /** @default none */
  name?: string;
  /** @default `fail-fast` */
  policy?: FailurePolicy;
  workflow: WorkflowStepRequest;
}

/** Paging of {@link Schedules.list}. */
export interface ListSchedulesFilter {
  /** Schedules per page (1–100). @default 50 */
  pageSize?: number;
  /** Start after this cursor. @default the newest */
  cursor?: string;
}

/** Filter of {@link Workflows.list}. */
export interface ListWorkflowsFilter {
  /** @default any */
  status?: WorkflowStatus;
  /** Workflows per page (1–200). @default 50 */
  pageSize?: number;
  /** Start after this cursor. @default the newest */
  cursor?: string;
}

/** Replaces job type definitions in a request body by their names (the wire form). */
export function wireForm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wireForm);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'payload') out[key] = v;
    else if (key === 'type' && typeof v === 'object' && v !== null && 'name' in v)
      out[key] = (v as { name: string }).name;
    else if (v instanceof Date) out[key] = v.toISOString();
    else out[key] = wireForm(v);
  }
  return out;
}

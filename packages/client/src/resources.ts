/**
 * The resources the API answers with, as plain types (the client has no runtime schema
 * library). They follow the API's OpenAPI document (`/openapi.json`).
 */

/** A job's lifecycle state. */
export type JobStatus = 'scheduled' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The states a job never leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = Object.freeze([
  'succeeded',
  'failed',
  'cancelled',
]);

/** True when `status` is final (succeeded, failed or cancelled). */
export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** A job's priority; `urgent` and `high` run in the priority lane. */
export type Priority = 'low' | 'normal' | 'high' | 'urgent';

/** Why a job (attempt) failed. */
export interface JobError {
  code: string;
  message: string;
  /** Whether another attempt will follow. */
  retryable: boolean;
}

/** A running job's last reported progress. */
export interface JobProgress {
  /** 0 to 100. */
  percent: number;
  message?: string;
}

/**
 * A job as the API returns it. `R` is the result type (typed when the job was submitted or
 * read by its job type definition), `P` the payload type.
 */
export interface Job<R = unknown, P = unknown> {
  id: string;
  type: string;
  status: JobStatus;
  priority: Priority;
  /** Attempts started so far. */
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
  /** ISO 8601: when the job is (or was) due to run. */
  runAt: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: JobProgress | null;
  payload: P;
  /** The handler's result once succeeded, else null. */
  result: R | null;
  error: JobError | null;
  /** The `sub` of the token that submitted it. */
  owner: string;
  /** The schedule that fired it, if any. */
  scheduleId: string | null;
  idempotencyKey: string | null;
}

/** One page of a cursor-paged list. */
export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** A job type of the catalogue (`GET /v1/job-types`), as its workers registered it. */
export interface JobTypeInfo {
  name: string;
  description: string;
  /** The worker group whose queues receive the type. */
  queue: string;
  /** JSON Schema (draft 2020-12) of the payload a client sends. */
  payloadSchema: Record<string, unknown>;
  /** JSON Schema of the result. */
  resultSchema: Record<string, unknown>;
  /** Hash of the registered schemas: two workers with different hashes disagree on the type. */
  schemaHash: string;
  /** What a job gets when its submission does not say (attempts, timeout, priority, backoff). */
  defaults: Record<string, unknown>;
  registeredAt: string;
  /** The worker group that registered the schema. */
  registeredBy: string;
  /** When a worker running the type was last heard from; null if never. */
  lastSeenAt: string | null;
  /** Whether a worker runs the type now (heard from in the last 30 s). */
  worker: { live: boolean; message: string; liveSchemaHashes: string[] };
  /** Fields a newer API adds. */
  [field: string]: unknown;
}

/** What a schedule does with fire times missed while no scheduler ran. */
export type MisfirePolicy = 'skip' | 'run-once';
/** Whether a fire is skipped while the previous fire's job or workflow is still active. */
export type OverlapPolicy = 'allow' | 'skip';

/** The job a schedule submits at each fire time. */
export interface ScheduleJob<P = unknown> {
  type: string;
  payload: P;
  priority: Priority;
  maxAttempts: number | null;
  timeoutMs: number | null;
}

/** A cron schedule as the API returns it. */
export interface Schedule {
  id: string;
  name: string;
  /** Cron expression, 5 fields or 6 (seconds first). */
  cron: string;
  /** IANA time zone the expression is read in. */
  timezone: string;
  enabled: boolean;
  /** The job each fire submits; null when the schedule submits a workflow. */
  job: ScheduleJob | null;
  /** The workflow each fire submits; null for a job schedule. */
  workflow: { name: string | null; policy: FailurePolicy; workflow: unknown } | null;
  misfirePolicy: MisfirePolicy;
  overlapPolicy: OverlapPolicy;
  /** The next five fire times (ISO 8601, UTC); empty while disabled. */
  nextFireTimes: string[];
  lastFireAt: string | null;
  lastJobId: string | null;
  lastWorkflowId: string | null;
  owner: string;
  createdAt: string;
}

/** A workflow's lifecycle state. */
export type WorkflowStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
/** What a workflow does when a step fails. */
export type FailurePolicy = 'fail-fast' | 'continue';
/** The state of one workflow step. */
export type StepState = 'pending' | 'created' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/** One step of a workflow resource. */
export interface WorkflowStep {
  id: string;
  kind: 'job' | 'chain' | 'group' | 'chord';
  name: string | null;
  /** Job steps: the job type. */
  type: string | null;
  state: StepState;
  /** Job steps: the job of the current run. */
  jobId: string | null;
  run: number | null;
  error: { code: string; message: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Composite steps: member step ids in order. */
  steps: string[];
}

/** A workflow as the API returns it. */
export interface Workflow {
  id: string;
  name: string | null;
  status: WorkflowStatus;
  policy: FailurePolicy;
  owner: string;
  /** The root step's id. */
  root: string;
  /** Every step, parents before members. */
  steps: WorkflowStep[];
  /** Job steps per state. */
  counts: Record<string, number>;
  runs: number;
  scheduleId: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

import type { JobTypeDefinition, PayloadOf, Priority, ResultOf } from '@conveyor/contracts';
import type { Logger } from '@conveyor/platform';
import type { JobFiles, SubmitChild } from './worker/context.js';

/** The job as a handler sees it: its identity and its validated payload. */
export interface RunningJob<P> {
  readonly id: string;
  readonly type: string;
  /** 1-based attempt number of this run. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly owner: string;
  /** The owner's address (the token's `email` claim at submit time), when known. */
  readonly ownerEmail: string | null;
  readonly priority: Priority;
  readonly payload: P;
  readonly createdAt: Date;
  readonly scheduleId: string | null;
  readonly correlationId: string;
  /**
   * W3C trace context of this attempt's handler span: a job the handler submits passes it
   * on (`traceparent`), so the follow-up belongs to the same trace.
   */
  readonly traceparent?: string;
}

/** What a handler gets for one attempt. */
export interface JobContext<P> {
  readonly job: RunningJob<P>;
  /** Aborted on cancel, timeout or shutdown past the grace period; pass it to your I/O. */
  readonly signal: AbortSignal;
  /**
   * Reports progress (0–100) with an optional message. Cheap to call often: writes are
   * throttled, and the last value is always written before the job completes.
   */
  progress(percent: number, message?: string): void;
  /** The attempt's logger: every line carries the job id, type, attempt and trace id. */
  readonly log: Logger;
  /** The owner's uploads and artifacts, read and written as streams. */
  readonly files: JobFiles;
  /** Submits a job owned by the same owner, in this job's correlation and trace. */
  readonly submit: SubmitChild;
}

export type JobHandler<T extends JobTypeDefinition> = (
  ctx: JobContext<PayloadOf<T>>,
) => Promise<ResultOf<T>>;

/** A handler bound to its job type definition; the worker runtime accepts only these. */
export interface HandlerRegistration<T extends JobTypeDefinition = JobTypeDefinition> {
  readonly type: T;
  readonly handle: JobHandler<T>;
}

export function defineHandler<T extends JobTypeDefinition>(
  type: T,
  handle: JobHandler<T>,
): HandlerRegistration<T> {
  return Object.freeze({ type, handle });
}

/**
 * The errors a job handler throws to say how its attempt ended. The runtime classifies by
 * `code` (stable across package copies), not only by `instanceof`.
 */
export abstract class JobError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
}

/** The attempt failed for a reason that will not change: bad input, a permanent 5xx. */
export class PermanentJobError extends JobError {
  override readonly name = 'PermanentJobError';
  readonly code: string;
  readonly retryable = false;
  constructor(message: string, code = 'PERMANENT', options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The attempt failed for a passing reason; retry after backoff (or after `retryAfterMs`). */
export class RetryableJobError extends JobError {
  override readonly name = 'RetryableJobError';
  readonly code: string;
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    code = 'RETRYABLE',
    options?: ErrorOptions & { retryAfterMs?: number },
  ) {
    super(message, options);
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * The job cannot run now for a reason outside it (say, its destination already has its limit
 * of deliveries in flight): it is scheduled again after `deferMs` and the attempt is not
 * spent, so a busy neighbour never uses up a job's attempts.
 */
export class DeferJobError extends JobError {
  override readonly name = 'DeferJobError';
  readonly code: string;
  readonly retryable = true;
  readonly deferMs: number;
  constructor(message: string, code: string, deferMs: number) {
    super(message);
    this.code = code;
    this.deferMs = deferMs;
  }
}

/** The attempt ran past its `timeoutMs`. Retryable: the next attempt may be faster. */
export class JobTimeoutError extends JobError {
  override readonly name = 'JobTimeoutError';
  readonly code = 'TIMEOUT';
  readonly retryable = true;
  constructor(timeoutMs: number) {
    super(`attempt exceeded its timeout of ${timeoutMs} ms`);
  }
}

/** The job was cancelled while running. */
export class JobCancelledError extends JobError {
  override readonly name = 'JobCancelledError';
  readonly code = 'CANCELLED';
  readonly retryable = false;
  constructor() {
    super('job was cancelled');
  }
}

/** How the runtime sees any thrown value. Unknown errors are retryable (crash, network). */
export function classifyError(err: unknown): {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  /** Set for a {@link DeferJobError}: run again after this long, without spending the attempt. */
  deferMs?: number;
} {
  if (
    err &&
    typeof err === 'object' &&
    'code' in err &&
    'retryable' in err &&
    typeof err.retryable === 'boolean'
  ) {
    const e = err as {
      code: unknown;
      message?: unknown;
      retryable: boolean;
      retryAfterMs?: unknown;
      deferMs?: unknown;
    };
    return {
      code: String(e.code),
      message: String(e.message ?? ''),
      retryable: e.retryable,
      ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
      ...(typeof e.deferMs === 'number' ? { deferMs: e.deferMs } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'HANDLER_ERROR', message, retryable: true };
}

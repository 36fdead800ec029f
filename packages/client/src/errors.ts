/** One wrong field of a request, as a 400 problem document lists it. */
export interface FieldError {
  /** Dotted path of the field in the request body or query, e.g. `payload.to`. */
  field: string;
  /** What is wrong with it. */
  message: string;
}

/** An RFC 9457 problem document (`application/problem+json`), as the API answers errors. */
export interface ProblemDocument {
  /** A URI naming the kind of problem; the API uses `about:blank`. */
  type?: string;
  title: string;
  status: number;
  detail?: string;
  /** Field-level errors of a 400. */
  errors?: FieldError[];
  /** The request path the problem is about. */
  instance?: string;
  [extension: string]: unknown;
}

/** Stable codes of the client's errors: classify by `code` as well as by class. */
export type ConveyorErrorCode =
  | 'API_ERROR'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'WAIT_TIMEOUT';

/**
 * The API answered with an error status. Carries the problem document it sent (or one made
 * from the status when the body was not a problem document, e.g. from a proxy).
 */
export class ConveyorApiError extends Error {
  override readonly name: string = 'ConveyorApiError';
  /** Stable code of this kind of error. */
  readonly code: ConveyorErrorCode = 'API_ERROR';
  /** The HTTP status. */
  readonly status: number;
  /** The problem document the API answered with. */
  readonly problem: ProblemDocument;
  /** The field errors of the problem document (empty when it lists none). */
  readonly errors: readonly FieldError[];
  /** The HTTP method and URL of the request that failed. */
  readonly request: { method: string; url: string };

  constructor(problem: ProblemDocument, request: { method: string; url: string }) {
    super(problemMessage(problem));
    this.status = problem.status;
    this.problem = problem;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.request = request;
  }
}

function problemMessage(p: ProblemDocument): string {
  const head = `${p.status} ${p.title}${p.detail ? `: ${p.detail}` : ''}`;
  if (!Array.isArray(p.errors) || p.errors.length === 0) return head;
  return `${head} (${p.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})`;
}

/** 400: the request has invalid fields; `errors` names each one. */
export class ValidationError extends ConveyorApiError {
  override readonly name = 'ValidationError';
  override readonly code = 'VALIDATION_FAILED';
}

/** 401: the token is missing, invalid or expired. */
export class UnauthorizedError extends ConveyorApiError {
  override readonly name = 'UnauthorizedError';
  override readonly code = 'UNAUTHORIZED';
}

/** 403: the token is valid but may not do this (e.g. an admin-only route). */
export class ForbiddenError extends ConveyorApiError {
  override readonly name = 'ForbiddenError';
  override readonly code = 'FORBIDDEN';
}

/** 404: no such resource, or not yours (another owner's job is a 404, never a 403). */
export class NotFoundError extends ConveyorApiError {
  override readonly name = 'NotFoundError';
  override readonly code = 'NOT_FOUND';
}

/** 409: the resource is not in a state that allows this (e.g. cancelling a finished job). */
export class ConflictError extends ConveyorApiError {
  override readonly name = 'ConflictError';
  override readonly code = 'CONFLICT';
}

/** 429: the per-owner submission limit is reached; try again after `retryAfterMs`. */
export class RateLimitedError extends ConveyorApiError {
  override readonly name = 'RateLimitedError';
  override readonly code = 'RATE_LIMITED';
  /** From the `Retry-After` header; null when the answer had none. */
  readonly retryAfterMs: number | null;

  constructor(
    problem: ProblemDocument,
    request: { method: string; url: string },
    retryAfterMs: number | null,
  ) {
    super(problem, request);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 503: the API's store or broker is unavailable; try again after `retryAfterMs`. */
export class UnavailableError extends ConveyorApiError {
  override readonly name = 'UnavailableError';
  override readonly code = 'UNAVAILABLE';
  /** From the `Retry-After` header; null when the answer had none. */
  readonly retryAfterMs: number | null;

  constructor(
    problem: ProblemDocument,
    request: { method: string; url: string },
    retryAfterMs: number | null,
  ) {
    super(problem, request);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * No answer from the API: the connection failed or broke, or the request timed out
 * (`code` `TIMEOUT`). The request may or may not have reached the API: resubmit with an
 * `idempotencyKey` to be safe.
 */
export class ConveyorNetworkError extends Error {
  override readonly name = 'ConveyorNetworkError';
  /** `NETWORK` (connection failed or broke) or `TIMEOUT` (no answer within the timeout). */
  readonly code: 'NETWORK' | 'TIMEOUT';
  /** The HTTP method and URL of the request that failed. */
  readonly request: { method: string; url: string };

  constructor(
    message: string,
    code: 'NETWORK' | 'TIMEOUT',
    request: { method: string; url: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.request = request;
  }
}

/** {@link ConveyorClient.wait} gave up before the job reached a final state. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  readonly code = 'WAIT_TIMEOUT';
  /** The job waited for. */
  readonly jobId: string;
  /** How long it waited. */
  readonly timeoutMs: number;

  constructor(jobId: string, timeoutMs: number) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms`);
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
  }
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The typed error for an API answer with status >= 400. `body` is the parsed problem
 * document when the answer was one; otherwise a document is made from the status.
 */
export function apiError(
  status: number,
  statusText: string,
  body: unknown,
  headers: { get(name: string): string | null },
  request: { method: string; url: string },
): ConveyorApiError {
  const problem = asProblem(status, statusText, body);
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
  switch (status) {
    case 400:
      return new ValidationError(problem, request);
    case 401:
      return new UnauthorizedError(problem, request);
    case 403:
      return new ForbiddenError(problem, request);
    case 404:
      return new NotFoundError(problem, request);
    case 409:
      return new ConflictError(problem, request);
    case 429:
      return new RateLimitedError(problem, request, retryAfterMs);
    case 503:
      return new UnavailableError(problem, request, retryAfterMs);
    default:
      return new ConveyorApiError(problem, request);
  }
}

function asProblem(status: number, statusText: string, body: unknown): ProblemDocument {
  if (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ProblemDocument).title === 'string'
  )
    return { ...(body as ProblemDocument), status };
  return {
    type: 'about:blank',
    title: statusText || `HTTP ${status}`,
    status,
    ...(typeof body === 'string' && body !== '' ? { detail: body.slice(0, 500) } : {}),
  };
}

import type { Context, Middleware } from 'koa';
import type { Logger } from '@conveyor/platform';
import { ProblemError, type FieldError } from './problem.js';

/** The RFC 9457 body the API answers errors with. */
export interface ProblemBody {
  type: 'about:blank';
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  instance: string;
}

/** Writes a problem document to the response. */
export function sendProblem(ctx: Context, problem: ProblemError): void {
  const body: ProblemBody = {
    type: 'about:blank',
    title: problem.title,
    status: problem.status,
    ...(problem.detail !== undefined ? { detail: problem.detail } : {}),
    ...(problem.errors !== undefined ? { errors: problem.errors } : {}),
    instance: ctx.path,
  };
  for (const [name, value] of Object.entries(problem.headers ?? {})) ctx.set(name, value);
  ctx.status = problem.status;
  ctx.type = 'application/problem+json';
  ctx.body = body;
}

interface HttpishError {
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  httpCode?: unknown;
  type?: unknown;
  expose?: unknown;
  message?: unknown;
}

/**
 * Maps what the body parsers throw to a problem: JSON syntax -> 400, over the limit -> 413,
 * other client-side parse failures -> their 4xx. Null for anything that is not the caller's fault.
 */
function clientProblem(err: unknown): ProblemError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as HttpishError;
  const status = [e.status, e.statusCode, e.httpCode].find(
    (s): s is number => typeof s === 'number',
  );
  if (e.type === 'entity.too.large' || status === 413) {
    return new ProblemError(413, 'Payload Too Large', 'the request body exceeds the size limit');
  }
  if (/\bZ_[A-Z_]+ERROR\b/.test(`${String(e.code)} ${String(e.message)}`)) {
    // n.b. zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR): the body is not in its Content-Encoding.
    // Under some runners the zlib error arrives re-wrapped, its code only in the message.
    return new ProblemError(400, 'Bad Request', 'the request body could not be decoded', [
      { field: 'Content-Encoding', message: 'the body is not valid data of this encoding' },
    ]);
  }
  if (e.type === 'entity.parse.failed' || (err instanceof SyntaxError && status === 400)) {
    return new ProblemError(400, 'Malformed JSON', 'the request body is not valid JSON');
  }
  if (status !== undefined && status >= 400 && status < 500) {
    const detail =
      e.expose === true && typeof e.message === 'string'
        ? e.message
        : 'the request could not be read';
    return new ProblemError(
      status,
      status === 415 ? 'Unsupported Media Type' : 'Bad Request',
      detail,
    );
  }
  return null;
}

const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  // STORE_TIMEOUT_MS ran out: no pooled connection in time, no answer in time
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
]);

/**
 * True for errors that mean the store or the broker cannot be reached right now (the
 * request may succeed later), as opposed to a fault of this server.
 */
export function isUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return (
    // n.b. "buffering timed out": mongoose held the command while disconnected, up to STORE_TIMEOUT_MS
    /client must be connected|topology is closed|connection .* closed|not connected to (rabbitmq|the broker)|channel closed|buffering timed out/i.test(
      message,
    ) || e.code === 'ECONNREFUSED'
  );
}

/** Seconds a client is asked to wait when the store or broker is unavailable. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/**
 * The one place errors become responses: {@link ProblemError} -> its status; body-parser
 * failures -> 400 / 413; unmatched routes -> 404; anything else -> a 500 that reveals
 * nothing, logged here once.
 */
export function problemMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        sendProblem(
          ctx,
          new ProblemError(404, 'Not Found', `no route for ${ctx.method} ${ctx.path}`),
        );
      }
    } catch (err) {
      if (err instanceof ProblemError) {
        sendProblem(ctx, err.status >= 500 ? new ProblemError(err.status, err.title) : err);
        if (err.status >= 500) log.error({ err, path: ctx.path }, 'request failed');
        return;
      }
      const client = clientProblem(err);
      if (client) {
        sendProblem(ctx, client);
        return;
      }
      if (isUnavailable(err)) {
        log.warn({ err, method: ctx.method, path: ctx.path }, 'store or broker unavailable');
        ctx.set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
        sendProblem(
          ctx,
          new ProblemError(
            503,
            'Service Unavailable',
            `the job store or broker is unavailable; retry in ${UNAVAILABLE_RETRY_AFTER_S} s`,
            undefined,
            { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) },
          ),
        );
        return;
      }
      log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      sendProblem(
        ctx,
        new ProblemError(
          500,
          'Internal Server Error',
          'the server failed to answer; try again later',
        ),
      );
    }
  };
}

import { describe, expect, it } from '@jest/globals';
import {
  apiError,
  ConflictError,
  ConveyorApiError,
  ForbiddenError,
  NotFoundError,
  parseRetryAfter,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
} from './errors.js';

const request = { method: 'POST', url: 'http://api/v1/jobs' };
const headers = (h: Record<string, string> = {}) => new Headers(h);

describe('apiError', () => {
  it('maps each status to its class with a stable name and code', () => {
    const cases = [
      [400, ValidationError, 'VALIDATION_FAILED'],
      [401, UnauthorizedError, 'UNAUTHORIZED'],
      [403, ForbiddenError, 'FORBIDDEN'],
      [404, NotFoundError, 'NOT_FOUND'],
      [409, ConflictError, 'CONFLICT'],
      [429, RateLimitedError, 'RATE_LIMITED'],
      [503, UnavailableError, 'UNAVAILABLE'],
      [500, ConveyorApiError, 'API_ERROR'],
    ] as const;
    for (const [status, cls, code] of cases) {
      const err = apiError(status, '', { title: 't', status }, headers(), request);
      expect(err).toBeInstanceOf(cls);
      expect(err).toBeInstanceOf(ConveyorApiError);
      expect(err.code).toBe(code);
      expect(err.name).toBe(cls.name);
      expect(err.status).toBe(status);
    }
  });

  it('keeps the problem document and its field errors', () => {
    const problem = {
      type: 'about:blank',
      title: 'Invalid request',
      status: 400,
      detail: 'see errors',
      errors: [{ field: 'payload.to', message: 'Too small' }],
      instance: '/v1/jobs',
    };
    const err = apiError(400, 'Bad Request', problem, headers(), request) as ValidationError;
    expect(err.problem).toEqual(problem);
    expect(err.errors).toEqual(problem.errors);
    expect(err.message).toBe('400 Invalid request: see errors (payload.to: Too small)');
    expect(err.request).toEqual(request);
  });

  it('makes a problem document from a non-problem answer (a proxy’s HTML page)', () => {
    const err = apiError(502, 'Bad Gateway', '<html>oops</html>', headers(), request);
    expect(err.problem).toEqual({
      type: 'about:blank',
      title: 'Bad Gateway',
      status: 502,
      detail: '<html>oops</html>',
    });
    expect(err.errors).toEqual([]);
  });

  it('reads Retry-After in seconds or as a date', () => {
    const limited = apiError(
      429,
      '',
      { title: 'x', status: 429 },
      headers({ 'retry-after': '7' }),
      request,
    );
    expect((limited as RateLimitedError).retryAfterMs).toBe(7000);
    const down = apiError(503, '', { title: 'x', status: 503 }, headers(), request);
    expect((down as UnavailableError).retryAfterMs).toBeNull();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});

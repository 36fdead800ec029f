import { describe, expect, it } from '@jest/globals';
import { ProblemError } from './problem.js';
import { SubmissionLimiter } from './rate-limit.js';

describe('SubmissionLimiter', () => {
  it('allows the limit per minute per owner, then 429 with Retry-After, and refills', () => {
    let now = 0;
    const limiter = new SubmissionLimiter(60, () => now);
    limiter.take('alice', 60);
    limiter.take('bob', 1);
    let err: unknown;
    try {
      limiter.take('alice', 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).status).toBe(429);
    expect((err as ProblemError).headers?.['Retry-After']).toBe('1');
    now += 1000;
    expect(() => limiter.take('alice', 1)).not.toThrow();
  });

  it('is off at 0', () => {
    const limiter = new SubmissionLimiter(0);
    expect(() => limiter.take('alice', 1_000_000)).not.toThrow();
  });
});

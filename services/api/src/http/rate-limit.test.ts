import { describe, expect, it } from '@jest/globals';
import { ProblemError } from './problem.js';
import { MemoryWindowCounter, SubmissionLimiter } from './rate-limit.js';

async function refusal(p: Promise<void>): Promise<ProblemError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProblemError);
  return err as ProblemError;
}

describe('SubmissionLimiter', () => {
  it('allows the limit per minute per owner, then 429 with Retry-After, and a new minute', async () => {
    let now = 30_000;
    const limiter = new SubmissionLimiter(60, new MemoryWindowCounter(), () => now);
    await limiter.take('alice', 60);
    await limiter.take('bob', 1);
    const err = await refusal(limiter.take('alice', 1));
    expect(err.status).toBe(429);
    expect(err.headers?.['Retry-After']).toBe('30');
    now = 60_000;
    await expect(limiter.take('alice', 1)).resolves.toBeUndefined();
  });

  it('gives back a refused take: a smaller one still fits', async () => {
    const limiter = new SubmissionLimiter(10, new MemoryWindowCounter(), () => 0);
    await limiter.take('alice', 8);
    await refusal(limiter.take('alice', 5));
    await expect(limiter.take('alice', 2)).resolves.toBeUndefined();
  });

  it('is off at 0', async () => {
    const limiter = new SubmissionLimiter(0);
    await expect(limiter.take('alice', 1_000_000)).resolves.toBeUndefined();
  });
});

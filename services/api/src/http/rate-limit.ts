import { ProblemError } from './problem.js';

/**
 * Per-owner submission limit: a token bucket of `perMinute` tokens refilled continuously.
 * It lives in this process's memory, so with N API replicas an owner may submit up to N
 * times the limit; it protects each replica, it is not a global quota.
 */
export class SubmissionLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `perMinute` (0 = off). `now` is injectable for tests. */
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `count` tokens for `owner` or throws a 429 problem with `Retry-After`. */
  async take(owner: string, count = 1): Promise<void> {
    if (this.perMinute === 0) return;
    const now = this.now();
    const rate = this.perMinute / 60_000;
    const prev = this.buckets.get(owner) ?? { tokens: this.perMinute, at: now };
    const tokens = Math.min(this.perMinute, prev.tokens + (now - prev.at) * rate);
    if (count > tokens) {
      const need = Math.min(count, this.perMinute) - tokens;
      const retryAfter = Math.max(1, Math.ceil(need / rate / 1000));
      this.buckets.set(owner, { tokens, at: now });
      throw new ProblemError(
        429,
        'Too Many Requests',
        `at most ${this.perMinute} job submissions per minute; retry in ${retryAfter} s`,
        undefined,
        { 'Retry-After': String(retryAfter) },
      );
    }
    this.buckets.set(owner, { tokens: tokens - count, at: now });
    this.prune(now);
  }

  /** Forgets full buckets now and then, so idle owners don't accumulate. */
  private prune(now: number): void {
    if (this.buckets.size < 10_000) return;
    for (const [owner, b] of this.buckets) {
      if (b.tokens + (now - b.at) * (this.perMinute / 60_000) >= this.perMinute)
        this.buckets.delete(owner);
    }
  }
}

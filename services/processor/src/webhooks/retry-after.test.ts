import { describe, expect, it } from '@jest/globals';
import { retryAfterMs } from './retry-after.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads seconds and HTTP dates, capped', () => {
    expect(retryAfterMs('3', 60_000, now)).toBe(3000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', 60_000, now)).toBe(10_000);
    expect(retryAfterMs('7200', 60_000, now)).toBe(60_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', 60_000, now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(retryAfterMs(undefined, 1000, now)).toBeUndefined();
    expect(retryAfterMs('soon', 1000, now)).toBeUndefined();
    expect(retryAfterMs('-5', 1000, now)).toBeUndefined();
  });
});

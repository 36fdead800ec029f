import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from './backoff.js';

describe('backoffDelay (full jitter)', () => {
  it('doubles the cap with each attempt from the base', () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, { baseMs: 1000 }, top)).toBe(999);
    expect(backoffDelay(2, { baseMs: 1000 }, top)).toBe(1999);
    expect(backoffDelay(4, { baseMs: 1000 }, top)).toBe(7999);
  });

  it('never exceeds the maximum, and spreads from zero', () => {
    expect(backoffDelay(30, { baseMs: 1000, maxMs: 60_000 }, () => 0.999999)).toBe(59_999);
    expect(backoffDelay(5, {}, () => 0)).toBe(0);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3, { baseMs: 100 });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(400);
    }
  });

  it('uses 1 s and 10 min by default', () => {
    expect(backoffDelay(1, {}, () => 0.5)).toBe(500);
    expect(backoffDelay(40, {}, () => 0.5)).toBe(300_000);
  });
});

import { describe, expect, it } from '@jest/globals';
import { figuresOf, percentile } from './job-types.js';

const t = (s: number) => new Date(Date.UTC(2026, 11, 7, 8, 0, 0, s));

/** A job queued at 0 that waited `wait` ms and ran `run` ms. */
const job = (type: string, status: string, wait: number, run: number, attempts = 1) => ({
  type,
  status,
  attempts,
  queuedAt: t(0),
  startedAt: t(wait),
  finishedAt: t(wait + run),
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('figuresOf', () => {
  it('gives each type its outcomes, rate, retries and run-time percentiles', () => {
    const rows = [
      ...Array.from({ length: 19 }, (_, i) => job('a', 'succeeded', 10, (i + 1) * 100)),
      job('a', 'failed', 10, 5000, 3),
      job('b', 'cancelled', 0, 0),
    ];
    const [a, b] = figuresOf(rows, 10);
    expect(a).toMatchObject({
      type: 'a',
      succeeded: 19,
      failed: 1,
      cancelled: 0,
      throughputPerMinute: 2,
      failureRate: 0.05,
      retries: 2,
      runMs: { p50: 1000, p95: 1900 },
      queueWaitMs: { p50: 10, p95: 10 },
    });
    expect(b).toMatchObject({ type: 'b', cancelled: 1, failureRate: null, retries: 0 });
  });
});

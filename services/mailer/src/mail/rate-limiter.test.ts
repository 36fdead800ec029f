import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createRateLimiter } from './rate-limiter.js';

/** Settles pending promise callbacks without moving the fake clock. */
const flush = () => jest.advanceTimersByTimeAsync(0);

describe('createRateLimiter', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** Starts `n` takes and records, per take, the fake time it was granted. */
  function startTakes(
    take: (signal?: AbortSignal) => Promise<void>,
    n: number,
    signal?: AbortSignal,
  ) {
    const grantedAt: (number | 'aborted' | undefined)[] = Array.from(
      { length: n },
      () => undefined,
    );
    for (let i = 0; i < n; i++) {
      take(signal).then(
        () => (grantedAt[i] = Date.now() - 1_000_000),
        () => (grantedAt[i] = 'aborted'),
      );
    }
    return grantedAt;
  }

  it('grants a burst of one second, then one permit per 1/rate seconds, in order', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 10 });
    const granted = startTakes((s) => limiter.take(s), 13);
    await flush();
    expect(granted.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(granted.slice(10)).toEqual([undefined, undefined, undefined]);
    expect(limiter.waiting).toBe(3);
    await jest.advanceTimersByTimeAsync(100);
    expect(granted[10]).toBe(100);
    expect(granted[11]).toBeUndefined();
    await jest.advanceTimersByTimeAsync(200);
    expect(granted.slice(10)).toEqual([100, 200, 300]);
    expect(limiter.waiting).toBe(0);
  });

  it('refills while idle, but never beyond the burst', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 2 });
    startTakes((s) => limiter.take(s), 2);
    await flush();
    await jest.advanceTimersByTimeAsync(60_000);
    const granted = startTakes((s) => limiter.take(s), 3);
    await flush();
    expect(granted).toEqual([0 + 60_000, 60_000, undefined]);
    await jest.advanceTimersByTimeAsync(500);
    expect(granted[2]).toBe(60_500);
  });

  it('an aborted wait rejects with the reason, takes no permit and lets the next caller through', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 1 });
    await limiter.take();
    const ac = new AbortController();
    const aborted = startTakes((s) => limiter.take(s), 1, ac.signal);
    const next = startTakes((s) => limiter.take(s), 1);
    await flush();
    const reason = new Error('cancelled');
    const rejection = limiter.take(ac.signal).catch((e: unknown) => e);
    ac.abort(reason);
    await flush();
    expect(aborted).toEqual(['aborted']);
    expect(await rejection).toBe(reason);
    expect(limiter.waiting).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(next).toEqual([1_000]);
  });

  it('rejects at once with an already aborted signal', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 5 });
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(limiter.take(ac.signal)).rejects.toThrow('gone');
  });

  it('rate 0 is unlimited', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 0 });
    const granted = startTakes((s) => limiter.take(s), 10_000);
    await flush();
    expect(granted.every((t) => t === 0)).toBe(true);
  });

  it('refuses a negative or non-finite rate', () => {
    expect(() => createRateLimiter({ ratePerSecond: -1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ ratePerSecond: Number.POSITIVE_INFINITY })).toThrow(
      RangeError,
    );
  });
});

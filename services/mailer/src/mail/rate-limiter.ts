/** Hands out send permits at a steady rate to every concurrent send of the process. */
export interface RateLimiter {
  /**
   * Resolves when a permit is available (first come, first served). Rejects with the
   * signal's reason if it aborts while waiting; a rejected wait takes no permit.
   */
  take(signal?: AbortSignal): Promise<void>;
  /** Permits waiting callers could not get yet (for tests and gauges). */
  readonly waiting: number;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Permits per second; `0` = unlimited (take() resolves at once). */
  readonly ratePerSecond: number;
  /**
   * Permits that may be taken back to back after a quiet spell. Default: one second's worth
   * (`max(1, ceil(ratePerSecond))`), so a burst never exceeds the rate over any second.
   */
  readonly burst?: number;
  /** Clock in ms; default `Date.now`. */
  readonly now?: () => number;
}

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A token bucket: it holds up to `burst` tokens, refills at `ratePerSecond`, and queues
 * callers FIFO when empty. One timer at a time wakes the head of the queue when its token
 * is due, so a backlog costs no polling.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const rate = options.ratePerSecond;
  if (!(rate >= 0) || !Number.isFinite(rate))
    throw new RangeError('ratePerSecond must be a finite number >= 0');
  if (rate === 0) {
    return {
      take: (signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve()),
      waiting: 0,
    };
  }
  const burst = options.burst ?? Math.max(1, Math.ceil(rate));
  if (!(burst >= 1)) throw new RangeError('burst must be >= 1');
  const now = options.now ?? Date.now;
  const msPerToken = 1000 / rate;
  let tokens = burst;
  let refilledAt = now();
  const queue: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;

  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + (t - refilledAt) / msPerToken);
    refilledAt = t;
  };

  const settle = (w: Waiter) => {
    if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
  };

  const drain = () => {
    timer = undefined;
    refill();
    while (queue.length > 0 && tokens >= 1) {
      tokens -= 1;
      const w = queue.shift() as Waiter;
      settle(w);
      w.resolve();
    }
    if (queue.length > 0) {
      timer = setTimeout(drain, Math.max(1, Math.ceil((1 - tokens) * msPerToken)));
    }
  };

  return {
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (queue.length === 0) {
        refill();
        if (tokens >= 1) {
          tokens -= 1;
          return Promise.resolve();
        }
      }
      return new Promise<void>((resolve, reject) => {
        const w: Waiter = { resolve, reject, signal, onAbort: undefined };
        if (signal) {
          w.onAbort = () => {
            const i = queue.indexOf(w);
            if (i >= 0) queue.splice(i, 1);
            if (queue.length === 0 && timer) {
              clearTimeout(timer);
              timer = undefined;
            }
            reject(signal.reason);
          };
          signal.addEventListener('abort', w.onAbort, { once: true });
        }
        queue.push(w);
        if (!timer) timer = setTimeout(drain, Math.max(1, Math.ceil((1 - tokens) * msPerToken)));
      });
    },
    get waiting() {
      return queue.length;
    },
  };
}

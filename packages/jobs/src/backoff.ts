/** Retry backoff policy. */
export interface BackoffOptions {
  /** Delay cap before the first retry, ms (default 1000). */
  baseMs?: number;
  /** Largest delay, ms (default 10 minutes). */
  maxMs?: number;
}

/**
 * Exponential backoff with full jitter: a uniform random delay in [0, min(max, base * 2^(n-1))]
 * after failed attempt n. Full jitter spreads retries of jobs that failed together (an SMTP
 * outage) instead of bringing them back in a wave.
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 10 * 60_000;
  const cap = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

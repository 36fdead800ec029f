/**
 * Whether a store error is transient: the write did not happen and may simply be repeated
 * (network errors, a primary stepping down, the driver's retryable-write label).
 */
export function isTransientStoreError(err: unknown): boolean {
  const e = err as { name?: string; code?: number; errorLabelSet?: Set<string> };
  return (
    e?.name === 'MongoNetworkError' ||
    e?.name === 'MongoNetworkTimeoutError' ||
    e?.errorLabelSet?.has?.('RetryableWriteError') === true
  );
}

/**
 * Runs `fn`, repeating it on transient store errors with a growing pause (about 10 s in all
 * by default). Only for idempotent operations. A call that timed out is not repeated: the
 * store did not answer within its deadline (`STORE_TIMEOUT_MS`), and waiting that long again
 * would multiply the deadline the caller was promised.
 */
export async function withStoreRetry<T>(fn: () => Promise<T>, tries = 12): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries || !isTransientStoreError(err) || isStoreTimeout(err)) throw err;
      await new Promise((r) =>
        setTimeout(r, Math.min(2000, 10 * 2 ** i) * (0.5 + Math.random() / 2)),
      );
    }
  }
}

/** Whether a store call failed because the store did not answer within the deadline. */
export function isStoreTimeout(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'MongoNetworkTimeoutError' || name === 'MongoOperationTimeoutError';
}

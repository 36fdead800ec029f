import {
  ConveyorApiError,
  ConveyorNetworkError,
  RateLimitedError,
  UnavailableError,
  WaitTimeoutError,
} from './errors.js';
import { sleep, type JobEvent, type StreamOptions } from './events.js';
import { isFinal, type Job } from './resources.js';

/** Options of {@link ConveyorClient.wait}. */
export interface WaitOptions {
  /** Give up after this many ms with a `WaitTimeoutError`. @default none: wait until final */
  timeoutMs?: number;
  /** Stops waiting: `wait` rejects with the signal's reason. @default none */
  signal?: AbortSignal;
  /** Poll interval when the event stream is unavailable. @default 1000 */
  pollIntervalMs?: number;
  /**
   * While the event stream is open, the job is re-read this often as well, so an event the
   * API never delivered (they are live-only) cannot make `wait` hang. @default 15000
   */
  recheckMs?: number;
}

/** What waiting needs of the client. */
export interface WaitSource<R> {
  events(id: string, opts: StreamOptions): AsyncIterable<JobEvent<R>>;
  get(id: string, opts: { signal?: AbortSignal }): Promise<Job<R>>;
}

/**
 * Resolves the job once final. The event stream is the fast path; a periodic re-read races
 * it; when the stream fails with anything but a client error (404, 401, 403), polling takes
 * over.
 */
export async function waitForJob<R>(
  id: string,
  source: WaitSource<R>,
  opts: WaitOptions,
): Promise<Job<R>> {
  const { timeoutMs, pollIntervalMs = 1000, recheckMs = 15_000 } = opts;
  const done = new AbortController();
  const signals = [done.signal];
  if (opts.signal) signals.push(opts.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeoutMs !== undefined) {
    const limit = new AbortController();
    timer = setTimeout(() => limit.abort(new WaitTimeoutError(id, timeoutMs)), timeoutMs);
    signals.push(limit.signal);
  }
  const signal = AbortSignal.any(signals);
  try {
    signal.throwIfAborted();
    return await Promise.race([
      byStream(id, source, signal, pollIntervalMs),
      poll(id, source, signal, recheckMs, true),
    ]);
  } finally {
    clearTimeout(timer);
    done.abort();
  }
}

async function byStream<R>(
  id: string,
  source: WaitSource<R>,
  signal: AbortSignal,
  pollIntervalMs: number,
): Promise<Job<R>> {
  try {
    for await (const event of source.events(id, { signal, reconnect: false })) {
      if (event.type === 'job' && isFinal(event.job.status)) return event.job;
      if (event.type === 'lifecycle' && isFinal(event.data.status))
        return await source.get(id, { signal });
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (!transient(err)) throw err;
  }
  // n.b. the stream failed or ended early (a proxy that buffers or cuts SSE): poll instead
  return poll(id, source, signal, pollIntervalMs, false);
}

async function poll<R>(
  id: string,
  source: WaitSource<R>,
  signal: AbortSignal,
  intervalMs: number,
  delayFirst: boolean,
): Promise<Job<R>> {
  if (delayFirst) await sleep(intervalMs, signal);
  for (;;) {
    let pause = intervalMs;
    try {
      const job = await source.get(id, { signal });
      if (isFinal(job.status)) return job;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (!transient(err)) throw err;
      if (
        (err instanceof RateLimitedError || err instanceof UnavailableError) &&
        err.retryAfterMs !== null
      )
        pause = Math.max(pause, err.retryAfterMs);
    }
    await sleep(pause, signal);
  }
}

/** Errors another try may not see: no answer, a rate limit, a server-side failure. */
function transient(err: unknown): boolean {
  if (err instanceof ConveyorNetworkError) return true;
  return err instanceof ConveyorApiError && (err.status === 429 || err.status >= 500);
}

import { ConveyorApiError, ConveyorNetworkError } from './errors.js';
import { isFinal, type Job, type JobError, type JobProgress, type JobStatus } from './resources.js';
import type { WorkflowStatus } from './resources.js';
import { parseEventStream, type SseMessage } from './sse.js';
import type { Transport } from './transport.js';

/** Data of a job lifecycle event: the job moved to `status`. */
export interface LifecycleEventData {
  jobId: string;
  type: string;
  owner: string;
  status: JobStatus;
  attempt: number;
  /** Failed attempts: why. */
  error?: JobError;
  /** Scheduled (retry) events: when the next attempt is due. */
  runAt?: string;
  /** The worker running the attempt. */
  workerId?: string;
  occurredAt: string;
}

/** Data of a progress event of a running job. */
export interface ProgressEventData {
  jobId: string;
  type: string;
  owner: string;
  attempt: number;
  progress: JobProgress;
  occurredAt: string;
}

/** Data of a workflow lifecycle event. */
export interface WorkflowEventData {
  workflowId: string;
  owner: string;
  status: WorkflowStatus;
  /** Job steps per state. */
  counts: Record<string, number>;
  occurredAt: string;
}

/** A job moved to another state. */
export interface LifecycleEvent {
  type: 'lifecycle';
  /** The event's id. */
  id: string;
  data: LifecycleEventData;
}

/** A running job reported progress. */
export interface ProgressEvent {
  type: 'progress';
  id: string;
  data: ProgressEventData;
}

/** A workflow moved to another state (only on {@link ConveyorClient.allEvents}). */
export interface WorkflowEvent {
  type: 'workflow';
  id: string;
  data: WorkflowEventData;
}

/**
 * The job as it is when a stream (re)connects. Read after the stream subscribed: events after
 * it are newer; an event before it may be too.
 */
export interface SnapshotEvent<R = unknown> {
  type: 'job';
  job: Job<R>;
}

/**
 * The stream was re-opened after its connection dropped. The API does not replay events
 * (it has no `Last-Event-ID` support), so events during the gap are lost: re-read the state
 * you care about.
 */
export interface ReconnectedEvent {
  type: 'reconnected';
}

/** An event this version of the client does not know (the API added one). */
export interface UnknownEvent {
  type: 'unknown';
  /** The SSE event name. */
  event: string;
  id: string;
  data: unknown;
}

/** An event of one job's stream ({@link ConveyorClient.events}). */
export type JobEvent<R = unknown> =
  SnapshotEvent<R> | LifecycleEvent | ProgressEvent | UnknownEvent;

/** An event of the stream of all the caller's jobs and workflows ({@link ConveyorClient.allEvents}). */
export type ConveyorEvent =
  LifecycleEvent | ProgressEvent | WorkflowEvent | ReconnectedEvent | UnknownEvent;

/** Options of an event stream. */
export interface StreamOptions {
  /** Ends the stream: the iterator throws the signal's reason. @default none */
  signal?: AbortSignal;
  /**
   * Re-open the stream when its connection drops or the API answers 429/5xx, with backoff
   * (the server's `retry:` delay, doubled per failure, capped at 30 s). @default true
   */
  reconnect?: boolean;
  /**
   * A connection that delivers nothing (not even the API's 15 s heartbeat) for this long is
   * taken as dead and re-opened. @default 45000
   */
  idleTimeoutMs?: number;
}

/** Options of {@link ConveyorClient.allEvents}: those of every stream, and which events. */
export interface AllEventsOptions extends StreamOptions {
  /**
   * Only the `lifecycle` events of jobs entering one of these statuses — no `progress` and no
   * `workflow` events (the API then takes nothing else from the broker for this stream). For
   * completions: `['succeeded', 'failed', 'cancelled']`. An empty list means every event.
   * @default every event
   */
  status?: readonly JobStatus[];
}

/** What an open stream does with each message; `done` ends the stream after this message. */
interface StreamPlan<E> {
  path: string;
  decode(message: SseMessage): E | undefined;
  /** True once the stream has nothing more to say (the job is final). */
  finished(event: E): boolean;
  /** What to yield after a reconnect, before the new connection's events. */
  onReconnect?: () => E | undefined;
}

const BASE_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/**
 * Iterates the events of an SSE endpoint, re-opening it when the connection drops (unless
 * `reconnect` is false). Errors that another attempt cannot fix (400, 401, 403, 404) are
 * thrown; so is the signal's reason once it aborts.
 */
export async function* openStream<E>(
  transport: Transport,
  plan: StreamPlan<E>,
  opts: StreamOptions = {},
): AsyncGenerator<E, void, undefined> {
  const { signal, reconnect = true, idleTimeoutMs = 45_000 } = opts;
  let retryMs = BASE_RETRY_MS;
  let failures = 0;
  let connected = false;
  for (;;) {
    signal?.throwIfAborted();
    const connection = new AbortController();
    const linked = signal ? AbortSignal.any([signal, connection.signal]) : connection.signal;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error('idle')), idleTimeoutMs);
    };
    try {
      const res = await transport.stream({
        method: 'GET',
        path: plan.path,
        headers: { accept: 'text/event-stream' },
        signal: linked,
      });
      if (connected && plan.onReconnect) {
        const marker = plan.onReconnect();
        if (marker !== undefined) yield marker;
      }
      connected = true;
      if (!res.body)
        throw new ConveyorNetworkError('the event stream has no body', 'NETWORK', {
          method: 'GET',
          url: transport.url(plan.path),
        });
      touch();
      for await (const message of parseEventStream(watch(res.body, touch))) {
        failures = 0;
        if (message.retry !== undefined) retryMs = message.retry;
        const event = plan.decode(message);
        if (event === undefined) continue;
        yield event;
        if (plan.finished(event)) return;
      }
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const error = asStreamError(err, connection.signal, idleTimeoutMs, transport.url(plan.path));
      if (!reconnect || !retriable(error)) throw error;
    } finally {
      clearTimeout(idle);
      connection.abort();
    }
    if (!reconnect)
      throw new ConveyorNetworkError('the event stream ended early', 'NETWORK', {
        method: 'GET',
        url: transport.url(plan.path),
      });
    failures += 1;
    const delay = Math.min(MAX_RETRY_MS, retryMs * 2 ** Math.min(failures - 1, 5));
    await sleep(delay * (0.5 + Math.random() / 2), signal);
  }
}

/** What ended a connection, as a typed error: a broken body read is a network error. */
function asStreamError(
  err: unknown,
  connection: AbortSignal,
  idleTimeoutMs: number,
  url: string,
): unknown {
  const request = { method: 'GET', url };
  // n.b. our idle watchdog aborted the connection
  if (connection.aborted)
    return new ConveyorNetworkError(
      `the event stream was silent for ${idleTimeoutMs} ms`,
      'TIMEOUT',
      request,
      {
        cause: err,
      },
    );
  if (err instanceof ConveyorApiError || err instanceof ConveyorNetworkError) return err;
  // n.b. by name: a broken body read throws undici's TypeError, possibly of another realm
  const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'TypeError' || name === 'AbortError')
    return new ConveyorNetworkError(
      `the event stream broke: ${String(message)}`,
      'NETWORK',
      request,
      {
        cause: err,
      },
    );
  return err;
}

/** Whether another connection may fix what ended this one. */
function retriable(err: unknown): boolean {
  if (err instanceof ConveyorApiError) return err.status === 429 || err.status >= 500;
  return err instanceof ConveyorNetworkError;
}

/**
 * The body's chunks, calling `touch` on each so the idle watchdog sees the heartbeats. Read
 * with a reader rather than async iteration, which not every browser offers on streams.
 */
async function* watch(body: ReadableStream<Uint8Array>, touch: () => void) {
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      touch();
      yield next.value;
    }
  } finally {
    // n.b. a consumer that stopped early closes the connection; a stream already broken may refuse
    if (!done) await reader.cancel().catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

function parseData(message: SseMessage): unknown {
  try {
    return JSON.parse(message.data) as unknown;
  } catch {
    return message.data;
  }
}

/** Decodes one SSE message of the API's streams. */
function decode(message: SseMessage): JobEvent | ConveyorEvent {
  const data = parseData(message);
  const id = message.lastEventId;
  if (message.event === 'job') return { type: 'job', job: data as Job };
  if (message.event === 'lifecycle')
    return { type: 'lifecycle', id, data: data as LifecycleEventData };
  if (message.event === 'progress')
    return { type: 'progress', id, data: data as ProgressEventData };
  if (message.event.startsWith('workflow.'))
    return { type: 'workflow', id, data: data as WorkflowEventData };
  return { type: 'unknown', event: message.event, id, data };
}

/** The plan of one job's stream: it ends once the job is final. */
export function jobStreamPlan<R>(jobId: string): StreamPlan<JobEvent<R>> {
  return {
    path: `/v1/jobs/${encodeURIComponent(jobId)}/events`,
    decode: (m) => decode(m) as JobEvent<R>,
    finished: (e) =>
      (e.type === 'job' && isFinal(e.job.status)) ||
      (e.type === 'lifecycle' && isFinal(e.data.status)),
  };
}

/**
 * The plan of the stream of all the caller's jobs (only the lifecycle events of `status`, when
 * given): it never ends by itself.
 */
export function ownerStreamPlan(status: readonly JobStatus[] = []): StreamPlan<ConveyorEvent> {
  return {
    path:
      status.length > 0
        ? `/v1/events?status=${encodeURIComponent(status.join(','))}`
        : '/v1/events',
    decode: (m) => decode(m) as ConveyorEvent,
    finished: () => false,
    onReconnect: () => ({ type: 'reconnected' }),
  };
}

export { sleep };

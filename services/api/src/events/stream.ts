import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { EventHub, JobStreamEvent, StreamFilter } from './hub.js';

/** Heartbeat comments keep proxies from closing an idle stream. */
export const SSE_HEARTBEAT_MS = 15_000;

/**
 * Events written within this many ms go out as one write: a busy stream (thousands of job
 * events a second) costs a write every 20 ms instead of one per event, and a watcher sees an
 * event at most this much later.
 */
export const SSE_COALESCE_MS = 20;

/** One open server-sent-events response. */
export interface EventStream {
  /** Writes one event (`event:` name, JSON `data:`, optional `id:`). */
  write(event: string, data: unknown, id?: string): void;
  /** Ends the stream (idempotent). */
  end(): void;
}

/**
 * Opens an SSE response subscribed to `hub` with `filter`. The subscription starts (and the
 * hub's bindings are in place) before `onOpen` runs, so nothing published while the caller
 * reads the current state is missed.
 * `onEvent` decides what to write (and may end the stream).
 */
export async function openEventStream(
  ctx: Context,
  hub: EventHub,
  filter: StreamFilter,
  handlers: {
    onOpen?: (stream: EventStream) => Promise<void> | void;
    onEvent: (event: JobStreamEvent, stream: EventStream) => void;
  },
): Promise<void> {
  const body = new PassThrough();
  let ended = false;
  let pending: string[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    if (pending.length === 0) return;
    body.write(pending.join(''));
    pending = [];
  };
  const send = (text: string) => {
    pending.push(text);
    flushTimer ??= setTimeout(flush, SSE_COALESCE_MS);
  };
  const stream: EventStream = {
    write(event, data, id) {
      if (ended) return;
      send(
        `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
      );
    },
    end() {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      // n.b. what was written before the end goes out first (a job's stream ends on its final event)
      flush();
      body.end();
    },
  };
  const unsubscribe = hub.subscribe(
    filter,
    (event) => handlers.onEvent(event, stream),
    () => stream.end(),
  );
  const heartbeat = setInterval(() => {
    if (!ended) send(': heartbeat\n\n');
  }, SSE_HEARTBEAT_MS);
  heartbeat.unref();
  ctx.req.on('close', () => stream.end());
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);

  ctx.status = 200;
  ctx.type = 'text/event-stream';
  ctx.set('Cache-Control', 'no-cache, no-transform');
  ctx.set('Connection', 'keep-alive');
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = body;
  body.write(': open\n\n');
  try {
    // n.b. the hub may be binding job events for its first stream: read the state after that
    await hub.ready();
    await handlers.onOpen?.(stream);
  } catch (err) {
    stream.end();
    throw err;
  }
}

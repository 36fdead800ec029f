import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { EventHub, JobStreamEvent, StreamFilter } from './hub.js';

/** Heartbeat comments keep proxies from closing an idle stream. */
export const SSE_HEARTBEAT_MS = 15_000;

/** One open server-sent-events response. */
export interface EventStream {
  /** Writes one event (`event:` name, JSON `data:`, optional `id:`). */
  write(event: string, data: unknown, id?: string): void;
  /** Ends the stream (idempotent). */
  end(): void;
}

/**
 * Opens an SSE response subscribed to `hub` with `filter`. The subscription starts before
 * `onOpen` runs, so nothing published while the caller reads the current state is missed.
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
  const stream: EventStream = {
    write(event, data, id) {
      if (ended) return;
      body.write(
        `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
      );
    },
    end() {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      body.end();
    },
  };
  const unsubscribe = hub.subscribe(
    filter,
    (event) => handlers.onEvent(event, stream),
    () => stream.end(),
  );
  const heartbeat = setInterval(() => {
    if (!ended) body.write(': heartbeat\n\n');
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
    await handlers.onOpen?.(stream);
  } catch (err) {
    stream.end();
    throw err;
  }
}

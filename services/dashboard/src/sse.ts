import { request } from './api';

/** One server-sent event: its name and parsed JSON data. */
export interface StreamEvent {
  event: string;
  data: unknown;
}

/**
 * Follows an SSE endpoint of the API with the bearer token (EventSource cannot send one), so
 * over `fetch`: parses `event:` / `data:` blocks, reconnects after 1–5 s when the stream ends
 * or fails, until `signal` aborts. `onOpen` runs on each (re)connect, so a view can reload what
 * it may have missed.
 */
export async function follow(
  path: string,
  onEvent: (e: StreamEvent) => void,
  signal: AbortSignal,
  onOpen: () => void = () => undefined,
): Promise<void> {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const res = await request(path, { signal, headers: { accept: 'text/event-stream' } });
      onOpen();
      delay = 1000;
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let sep: number;
        while ((sep = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, sep);
          buffer = buffer.slice(sep + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (data.length === 0) continue; // a comment (heartbeat)
          try {
            onEvent({ event, data: JSON.parse(data.join('\n')) });
          } catch {
            // n.b. a block that is not JSON is skipped; the next snapshot corrects the view
          }
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}

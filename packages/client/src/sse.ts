/** One message of a `text/event-stream`, as the HTML standard's parsing rules define it. */
export interface SseMessage {
  /** The `event:` field; `message` when the server gave none. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
  /** The last `id:` seen on the stream so far (ids persist across messages); '' for none. */
  lastEventId: string;
  /** The `retry:` field of this message (the reconnection delay the server asks for), if any. */
  retry: number | undefined;
}

/**
 * Parses a `text/event-stream` body into messages: lines end with CRLF, LF or CR, `:` starts
 * a comment (heartbeats), a blank line dispatches the buffered message, a message without
 * data is not dispatched, one leading space after the colon is dropped.
 */
export async function* parseEventStream(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<SseMessage, void, undefined> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let first = true;
  let event = '';
  let data: string[] = [];
  let lastEventId = '';
  let retry: number | undefined;

  function* lines(final: boolean): Generator<string> {
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      if (!match) break;
      // n.b. a CR at the very end may be the first half of a CRLF split across chunks
      if (match[0] === '\r' && match.index === buffer.length - 1 && !final) break;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      yield line;
    }
  }

  function take(line: string): SseMessage | undefined {
    if (line === '') {
      const message =
        data.length > 0
          ? { event: event || 'message', data: data.join('\n'), lastEventId, retry }
          : undefined;
      event = '';
      data = [];
      retry = undefined;
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
    return undefined;
  }

  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    if (first && buffer.length > 0) {
      if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
      first = false;
    }
    for (const line of lines(false)) {
      const message = take(line);
      if (message) yield message;
    }
  }
  buffer += decoder.decode();
  for (const line of lines(true)) {
    const message = take(line);
    if (message) yield message;
  }
  // n.b. an incomplete message at the end of the stream is discarded, as the standard says
}

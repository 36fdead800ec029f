import type { Duplex } from 'node:stream';

/**
 * Makes everything written to `stream` within one turn of the event loop go out as one
 * socket write: the first write of a turn corks the stream and a `process.nextTick` uncorks
 * it, after the turn's other writes (and the promise continuations that make them) queued
 * theirs. amqplib writes every frame on its own — each publish, each ack — and on this path
 * the system calls and the loopback packets they make cost more than the frames themselves;
 * Node's HTTP responses cork the same way.
 */
export function coalesceWrites(stream: Duplex): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  stream.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as Duplex['write'];
}

/** The socket under an amqplib connection (amqplib keeps it as `connection.stream`). */
export function socketOf(conn: object): Duplex | null {
  const stream = (conn as { connection?: { stream?: unknown } }).connection?.stream;
  return stream && typeof (stream as Duplex).cork === 'function' ? (stream as Duplex) : null;
}

import { writeSync } from 'node:fs';

/** A pino destination: anything with a `write(line)` method. */
export interface LineDestination {
  write(line: string): void;
}

const EAGAIN_RETRIES = 1000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Synchronous log lines on a file descriptor (stdout by default) that stops writing once the
 * reader is gone. pino's own destination retries a line that hit a closed pipe (`EPIPE`)
 * forever when it flushes at exit, so a service whose log reader died first (a `sed`
 * prefixer killed by Ctrl-C, a closed `docker logs`) never exited. Here `EPIPE` or `EBADF`
 * drops that line and every later one; a full non-blocking pipe (`EAGAIN`) is retried for
 * about a second before the line is dropped.
 */
export function stdoutDestination(fd = 1): LineDestination {
  let broken = false;
  return {
    write(line: string): void {
      if (broken) return;
      let buf = Buffer.from(line, 'utf8');
      let retries = 0;
      while (buf.length > 0) {
        try {
          buf = buf.subarray(writeSync(fd, buf));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if ((code === 'EAGAIN' || code === 'EBUSY') && retries++ < EAGAIN_RETRIES) {
            Atomics.wait(pause, 0, 0, 1);
            continue;
          }
          if (code === 'EPIPE' || code === 'EBADF') broken = true;
          return;
        }
      }
    },
  };
}

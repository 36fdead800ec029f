import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatBytes, InputError } from './input-error.js';

/** A file copied to local disk; `dispose()` deletes it (safe to call more than once). */
export interface SpooledFile {
  readonly path: string;
  readonly bytes: number;
  dispose(): Promise<void>;
}

/** Options of {@link spoolToDisk}. */
export interface SpoolOptions {
  /** Most bytes accepted; more fails with `FILE_TOO_LARGE`. */
  readonly maxBytes: number;
  /** What the file is, for the error message. @default 'file' */
  readonly what?: string;
  /** File name inside the private temporary directory. @default 'input' */
  readonly name?: string;
  readonly signal?: AbortSignal;
}

/**
 * Copies `input` into a new private directory under `os.tmpdir()`, for libraries that read
 * files by ranges (pdf.js) rather than streams. Never holds the file in memory; stops and
 * cleans up at `maxBytes`, on an input error or when `signal` aborts.
 */
export async function spoolToDisk(input: Readable, opts: SpoolOptions): Promise<SpooledFile> {
  const dir = await mkdtemp(join(tmpdir(), 'conveyor-files-'));
  const path = join(dir, opts.name ?? 'input');
  let disposed: Promise<void> | null = null;
  const dispose = () => (disposed ??= rm(dir, { recursive: true, force: true }));
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes)
        done(
          new InputError(
            'FILE_TOO_LARGE',
            `the ${opts.what ?? 'file'} is larger than ${formatBytes(opts.maxBytes)} (the limit)`,
          ),
        );
      else done(null, chunk);
    },
  });
  try {
    await pipeline(input, limit, createWriteStream(path, { mode: 0o600 }), {
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    await dispose();
    // n.b. pipeline rejects with an AbortError; the signal's reason says why (cancel, timeout)
    opts.signal?.throwIfAborted();
    throw err;
  }
  return { path, bytes, dispose };
}

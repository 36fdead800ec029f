import { z } from 'zod';

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(min).max(max));

const MiB = 1024 * 1024;

const shape = {
  /** Jobs run at once by one worker process. @default 2 (image work is CPU-bound) */
  CONCURRENCY: int(1, 64).default(2),
  /** Most pixels (width × height) of an input image; more is refused as a decompression bomb. @default 100000000 (100 MP) */
  IMAGE_MAX_PIXELS: int(1, 1_000_000_000).default(100_000_000),
  /** Most bytes of an input image. @default 52428800 (50 MiB) */
  IMAGE_MAX_BYTES: int(1, 2 ** 31).default(50 * MiB),
  /** Most bytes of an input PDF. @default 104857600 (100 MiB) */
  PDF_MAX_BYTES: int(1, 2 ** 33).default(100 * MiB),
  /** Most pages one `file.pdf-text` job extracts. @default 2000 */
  PDF_MAX_PAGES: int(1, 100_000).default(2000),
};

/** The files worker's own settings (the SDK reads the connection and runtime variables). */
export type FilesConfig = Readonly<{ [K in keyof typeof shape]: z.output<(typeof shape)[K]> }>;

/** A configuration problem, named by its variable; the worker exits with it at start. */
export class FilesConfigError extends Error {
  override readonly name = 'FilesConfigError';
}

/**
 * Reads the files worker's limits from `env` (see each variable's default above); fails naming
 * every variable that is wrong.
 */
export function filesConfig(env: Record<string, string | undefined> = process.env): FilesConfig {
  const res = z
    .object(shape)
    .safeParse(
      Object.fromEntries(Object.keys(shape).map((k) => [k, env[k] === '' ? undefined : env[k]])),
    );
  if (!res.success)
    throw new FilesConfigError(
      `invalid configuration: ${res.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  return Object.freeze(res.data);
}

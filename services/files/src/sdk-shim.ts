/**
 * Stand-in for the public SDK's surface (`@conveyor/sdk`, `@conveyor/sdk/worker`) while it is
 * being written; removed when the SDK lands. Types as announced; the worker does not run.
 */
import type { Readable } from 'node:stream';
import type { z } from 'zod';

export interface JobTypeDefinition<
  N extends string = string,
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  readonly name: N;
  readonly description: string;
  readonly payload: P;
  readonly result: R;
  readonly queue?: string;
  readonly defaults: {
    maxAttempts?: number;
    timeoutMs?: number;
    priority?: 'low' | 'normal' | 'high';
    backoff?: { baseMs?: number; maxMs?: number };
  };
}

export function defineJobType<N extends string, P extends z.ZodType, R extends z.ZodType>(
  def: Omit<JobTypeDefinition<N, P, R>, 'defaults' | 'description'> &
    Partial<Pick<JobTypeDefinition<N, P, R>, 'defaults' | 'description'>>,
): JobTypeDefinition<N, P, R> {
  return Object.freeze({ description: '', defaults: {}, ...def });
}

export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly code = 'PERMANENT',
  ) {
    super(message);
  }
}

export interface JobFiles {
  open(
    ref: { uploadId: string } | { artifactId: string },
  ): Promise<{ filename: string; contentType: string; length: number; stream: Readable }>;
  write(
    file: { filename: string; contentType: string },
    body: Readable | Buffer | string,
  ): Promise<{ artifactId: string; length: number }>;
}

export interface JobContext {
  readonly job: {
    id: string;
    type: string;
    attempt: number;
    maxAttempts: number;
    owner: string;
    ownerEmail: string | null;
  };
  readonly signal: AbortSignal;
  progress(percent: number, message?: string): void;
  readonly log: { info(obj: object, msg: string): void };
  readonly files: JobFiles;
}

export interface Handler {
  readonly type: JobTypeDefinition;
}

export function handle<T extends JobTypeDefinition>(
  type: T,
  fn: (payload: z.infer<T['payload']>, ctx: JobContext) => Promise<z.input<T['result']>>,
): Handler {
  return { type, fn } as Handler;
}

export interface Worker {
  handleSignals(): void;
}

export function createWorker(_opts: {
  name: string;
  handlers: Handler[];
  concurrency?: number;
  env?: Record<string, string | undefined>;
}): Promise<Worker> {
  return Promise.reject(new Error('the SDK has not landed yet'));
}

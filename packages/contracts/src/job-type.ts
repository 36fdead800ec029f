import type { z } from 'zod';
import type { WorkerService } from './topology.js';

/**
 * A job type: its name (= routing key), payload and result schemas, the service whose queue
 * receives it, and its defaults. Publish / consume helpers accept only these definitions, so
 * producer and consumer cannot disagree about a job's shape.
 */
export interface JobTypeDefinition<
  N extends string = string,
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  readonly name: N;
  readonly description: string;
  readonly payload: P;
  readonly result: R;
  readonly service: WorkerService;
  /** Default per-attempt timeout in ms (a job's `timeoutMs` overrides it). */
  readonly timeoutMs: number;
  /** Default number of attempts (a job's `maxAttempts` overrides it). */
  readonly maxAttempts: number;
}

export type PayloadOf<T extends JobTypeDefinition> = z.infer<T['payload']>;
export type ResultOf<T extends JobTypeDefinition> = z.infer<T['result']>;

export function defineJobType<N extends string, P extends z.ZodType, R extends z.ZodType>(
  def: JobTypeDefinition<N, P, R>,
): JobTypeDefinition<N, P, R> {
  if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/.test(def.name)) {
    throw new Error(`job type name ${def.name} must be dotted lower-case words, e.g. email.send`);
  }
  return Object.freeze({ ...def });
}

import type { z } from 'zod';
import type { Priority } from './priority.js';
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
  /**
   * The priority a payload asks for itself (email payloads carry one), used when the
   * submission names none. @default none: `normal`
   */
  readonly priorityOf?: (payload: z.infer<P>) => Priority | undefined;
  /**
   * The uploads a payload reads, with the payload field that names each: the API checks
   * that they belong to the submitter. @default none
   */
  readonly uploadsOf?: (payload: z.infer<P>) => { field: string; uploadId: string }[];
  /**
   * The owners a payload reports on, with the field that names each: the API accepts only
   * the submitter's own `sub` there (a digest is about its owner only). @default none
   */
  readonly ownersOf?: (payload: z.infer<P>) => { field: string; owner: string }[];
  /** The artifact a result names (downloaded by `/result`, deleted with the job). @default none */
  readonly artifactOf?: (result: z.infer<R>) => string | undefined;
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

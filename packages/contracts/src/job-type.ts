import { z } from 'zod';
import type { Priority } from './priority.js';
import { jobTypeLimitsSchema, type JobTypeLimits } from './limits.js';
import { SEARCH_LIMITS, searchPathProblem } from './search.js';

/** Retry backoff of a job type: full jitter between 0 and `min(maxMs, baseMs * 2^(n-1))`. */
export interface BackoffDefaults {
  /** First retry's ceiling in ms. @default the worker's `RETRY_BASE_MS` (1000) */
  readonly baseMs?: number;
  /** Cap of the ceiling in ms. @default the worker's `RETRY_MAX_MS` (600000) */
  readonly maxMs?: number;
}

/** What a job of a type gets when its submission does not say. */
export interface JobTypeDefaults {
  /** Attempts before the job fails for good (1 = no retry). @default 3 */
  readonly maxAttempts: number;
  /** Per-attempt timeout in ms; the handler's signal aborts then. @default 600000 (10 min) */
  readonly timeoutMs: number;
  /** Priority when the submission names none. @default 'normal' */
  readonly priority: Priority;
  /** Retry backoff. @default the worker's settings */
  readonly backoff?: BackoffDefaults;
}

/** The defaults a definition gets for what it leaves out. */
export const DEFAULT_JOB_TYPE_DEFAULTS: JobTypeDefaults = Object.freeze({
  maxAttempts: 3,
  timeoutMs: 10 * 60_000,
  priority: 'normal',
});

/**
 * A job type: its name (= routing key), payload and result schemas, the queue that receives
 * it, and its defaults. Publish / consume helpers accept only these definitions, so producer
 * and consumer cannot disagree about a job's shape.
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
  /**
   * The queue (worker group) whose replicas run this type. Undefined: the name of the worker
   * that registers the type.
   */
  readonly queue: string | undefined;
  readonly defaults: JobTypeDefaults;
  /**
   * Fleet-wide concurrency and rate limits and the fair-share key (see {@link JobTypeLimits});
   * an operator may override them per deployment (`PUT /v1/job-types/{type}/limits`).
   * @default none: unlimited, fair across owners
   */
  readonly limits?: JobTypeLimits;
  /**
   * Example payloads (each checked against `payload` when defined): the catalogue lists them
   * and the dashboard's submit form starts from the first. @default none
   */
  readonly examples: readonly z.input<P>[];
  /**
   * The priority a payload asks for itself (email payloads carry one), used when the
   * submission names none. Honoured where the definition is loaded in code. @default none
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
  /**
   * The payload paths a job of this type can be searched by (`to`, `customer.id`): their
   * scalar values, and the words of their strings, are stored with the job in an index when
   * it is created (see `searchKeysOf`). `[]` makes the payload unsearchable.
   * @default undefined: every top-level field that holds a scalar or an array of scalars
   */
  readonly search?: readonly string[];
}

/** What {@link defineJobType} takes: a definition whose optional parts have defaults. */
export type JobTypeSpec<N extends string, P extends z.ZodType, R extends z.ZodType> = Omit<
  JobTypeDefinition<N, P, R>,
  'description' | 'result' | 'queue' | 'defaults' | 'examples'
> & {
  /** See {@link JobTypeDefinition.examples}. @default none */
  readonly examples?: readonly z.input<P>[];
  /** One line shown in the catalogue. @default '' */
  readonly description?: string;
  /** Schema of the handler's result. @default z.unknown() */
  readonly result?: R;
  /** See {@link JobTypeDefinition.queue}. @default the registering worker's name */
  readonly queue?: string;
  /** See {@link JobTypeDefaults}. */
  readonly defaults?: Partial<JobTypeDefaults>;
};

export type PayloadOf<T extends JobTypeDefinition> = z.infer<T['payload']>;
export type ResultOf<T extends JobTypeDefinition> = z.infer<T['result']>;

/** Job type names: dotted lower-case words, e.g. `email.send`, `acme.thumbnail`. */
export const JOB_TYPE_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
/** Queue (worker group) names: lower-case letters, digits and `-`, e.g. `processor`. */
export const QUEUE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Checks a job type definition and fills in its defaults; the result is frozen. */
export function defineJobType<
  N extends string,
  P extends z.ZodType,
  R extends z.ZodType = z.ZodUnknown,
>(spec: JobTypeSpec<N, P, R>): JobTypeDefinition<N, P, R> {
  if (!JOB_TYPE_NAME.test(spec.name)) {
    throw new Error(
      `job type name ${JSON.stringify(spec.name)} must be dotted lower-case words, e.g. email.send`,
    );
  }
  if (spec.queue !== undefined && !QUEUE_NAME.test(spec.queue)) {
    throw new Error(
      `queue ${JSON.stringify(spec.queue)} of ${spec.name} must be lower-case letters, digits and -`,
    );
  }
  const defaults = { ...DEFAULT_JOB_TYPE_DEFAULTS, ...spec.defaults };
  if (
    !Number.isInteger(defaults.maxAttempts) ||
    defaults.maxAttempts < 1 ||
    defaults.maxAttempts > 100
  )
    throw new Error(`${spec.name}: defaults.maxAttempts must be an integer from 1 to 100`);
  if (!Number.isInteger(defaults.timeoutMs) || defaults.timeoutMs < 100)
    throw new Error(`${spec.name}: defaults.timeoutMs must be an integer of at least 100 (ms)`);
  if (spec.limits !== undefined) {
    const r = jobTypeLimitsSchema.safeParse(spec.limits);
    if (!r.success)
      throw new Error(
        `${spec.name}: limits.${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`,
      );
  }
  if (spec.search !== undefined) {
    if (spec.search.length > SEARCH_LIMITS.paths)
      throw new Error(`${spec.name}: at most ${SEARCH_LIMITS.paths} search paths`);
    for (const path of spec.search) {
      const problem = searchPathProblem(path);
      if (problem) throw new Error(`${spec.name}: search path ${JSON.stringify(path)} ${problem}`);
    }
  }
  const examples = Object.freeze([...(spec.examples ?? [])]);
  for (const [i, example] of examples.entries()) {
    const r = spec.payload.safeParse(example);
    if (!r.success)
      throw new Error(
        `${spec.name}: examples.${i} does not match the payload schema: ${r.error.issues[0]?.message ?? ''}`,
      );
  }
  return Object.freeze({
    ...spec,
    examples,
    description: spec.description ?? '',
    result: (spec.result ?? z.unknown()) as R,
    queue: spec.queue,
    defaults: Object.freeze(defaults),
    ...(spec.search !== undefined ? { search: Object.freeze([...spec.search]) } : {}),
  });
}

/** True for a value made by {@link defineJobType}. */
export function isJobTypeDefinition(value: unknown): value is JobTypeDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<JobTypeDefinition>;
  return (
    typeof v.name === 'string' &&
    JOB_TYPE_NAME.test(v.name) &&
    typeof (v.payload as { safeParse?: unknown } | undefined)?.safeParse === 'function' &&
    typeof v.defaults === 'object'
  );
}

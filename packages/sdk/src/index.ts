/**
 * `@conveyor/sdk` — what a job type is, shared by the code that submits it and the worker
 * that runs it. Pure: importing it loads no driver, so a web app can import its job types.
 *
 * ```ts
 * import { z } from 'zod';
 * import { defineJobType } from '@conveyor/sdk';
 *
 * export const thumbnail = defineJobType({
 *   name: 'acme.thumbnail',
 *   payload: z.object({ uploadId: z.string(), width: z.int().positive() }),
 *   result: z.object({ artifactId: z.string() }),
 *   defaults: { maxAttempts: 5, timeoutMs: 60_000 },
 * });
 * ```
 * @packageDocumentation
 */
import type { z } from 'zod';
import {
  defineJobType as defineInternal,
  type BackoffDefaults,
  type JobTypeDefaults,
  type JobTypeDefinition,
  type JobTypeLimits,
  type LimitPair,
  type Priority,
  type RateLimit,
} from '@conveyor/contracts';

export type { BackoffDefaults, JobTypeDefaults, JobTypeLimits, LimitPair, Priority, RateLimit };
export {
  PermanentJobError,
  RetryableJobError,
  DeferJobError,
  JobError,
} from '@conveyor/jobs/errors';

/** A job type made by {@link defineJobType}: frozen, with every default filled in. */
export type JobType<
  N extends string = string,
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> = JobTypeDefinition<N, P, R>;

/** The payload a handler of `T` receives (after parsing: defaults applied). */
export type PayloadOf<T extends JobType> = z.output<T['payload']>;
/** The payload a client sends for `T` (before parsing: defaulted fields optional). */
export type PayloadInputOf<T extends JobType> = z.input<T['payload']>;
/** What a handler of `T` returns. */
export type ResultOf<T extends JobType> = z.output<T['result']>;

/** What {@link defineJobType} takes. */
export interface JobTypeOptions<N extends string, P extends z.ZodType, R extends z.ZodType> {
  /** Dotted lower-case words, unique in the deployment: the routing key, e.g. `acme.thumbnail`. */
  readonly name: N;
  /** One line for the catalogue and the dashboard. @default '' */
  readonly description?: string;
  /**
   * The payload's zod schema. The catalogue publishes it as JSON Schema, which the API
   * checks submissions against; refinements JSON Schema cannot express are checked by the
   * worker when it claims the job (a failure there is permanent, `INVALID_PAYLOAD`).
   */
  readonly payload: P;
  /** The result's zod schema (a mismatch is logged, never fatal). @default z.unknown() */
  readonly result?: R;
  /**
   * The worker group whose queues receive the type: lower-case letters, digits, `-`.
   * @default the `name` of the worker that registers it
   */
  readonly queue?: string;
  /**
   * What a job gets when its submission does not say.
   * @default { maxAttempts: 3, timeoutMs: 600000, priority: 'normal' } and the worker's backoff
   */
  readonly defaults?: Partial<JobTypeDefaults>;
  /**
   * Fleet-wide limits, held across every worker replica: `concurrency` (jobs running at
   * once), `rate` (`{ limit, periodMs }`, starts spread evenly), the same `perOwner` and
   * `perKey` (`{ key: 'customer.id', … }`, a payload field), and `fairKey`, a payload field
   * whose values share the type's backlog out fairly within an owner. A job over a limit
   * waits in the store without spending an attempt. An operator can override them at run
   * time (`PUT /v1/job-types/{type}/limits`).
   * @default none: unlimited; the backlog is shared fairly across owners
   */
  readonly limits?: JobTypeLimits;
  /**
   * Example payloads, each checked against `payload` here: the catalogue lists them and the
   * dashboard's submit form starts from the first. @default none
   */
  readonly examples?: readonly z.input<P>[];
  /**
   * Payload paths a job of this type can be searched by, dotted for nested fields
   * (`['to', 'customer.id']`): the scalars found there (each element of an array of scalars)
   * and the words of the strings among them are indexed with the job when it is created, so
   * `GET /v1/jobs/search?field=customer.id&value=42` and `?text=…` find it by an index seek.
   * At most 16 paths of at most 4 levels; `[]` makes the payload unsearchable.
   * @default every top-level field that holds a scalar or an array of scalars
   */
  readonly search?: readonly string[];
}

/**
 * Defines a job type. Import the same definition in the worker (to handle it) and in the
 * code that submits it (to type the payload); the worker registers it in the catalogue when
 * it starts. Throws on a malformed name, queue or default.
 */
export function defineJobType<
  N extends string,
  P extends z.ZodType,
  R extends z.ZodType = z.ZodUnknown,
>(options: JobTypeOptions<N, P, R>): JobType<N, P, R> {
  return defineInternal<N, P, R>({
    name: options.name,
    payload: options.payload,
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.result !== undefined ? { result: options.result } : {}),
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
    ...(options.defaults !== undefined ? { defaults: options.defaults } : {}),
    ...(options.examples !== undefined ? { examples: options.examples } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.search !== undefined ? { search: options.search } : {}),
  });
}

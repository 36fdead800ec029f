/**
 * Typing by a job type definition, structurally: the client never imports the SDK or zod.
 * A schema is anything implementing Standard Schema's type slot (`'~standard'.types`), which
 * zod 4 schemas do (as do valibot and ArkType), so a definition made by the SDK's
 * `defineJobType` types `submit` with `z.input` of its payload and `wait` with `z.output` of
 * its result.
 */

/** A schema carrying its input and output types (Standard Schema's `~standard.types`). */
export interface TypedSchema<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/**
 * What the client needs of a job type definition: its name and schemas. `defineJobType` of
 * `@conveyor/sdk` returns one; so does any object of this shape.
 */
export interface JobTypeLike<N extends string = string> {
  /** The job type's name, e.g. `tasks.export`. */
  readonly name: N;
  /** The payload schema; the client sends its input type. */
  readonly payload: TypedSchema;
  /** The result schema; a finished job's `result` has its output type. */
  readonly result?: TypedSchema | undefined;
}

/** The input type of a schema (what `parse` accepts), `unknown` if it carries none. */
export type InputOf<S> = S extends { readonly '~standard': { readonly types?: infer T } }
  ? NonNullable<T> extends { readonly input: infer I }
    ? I
    : unknown
  : unknown;

/** The output type of a schema (what `parse` returns), `unknown` if it carries none. */
export type OutputOf<S> = S extends { readonly '~standard': { readonly types?: infer T } }
  ? NonNullable<T> extends { readonly output: infer O }
    ? O
    : unknown
  : unknown;

/** What a caller sends as the payload of job type `T` (`z.input` of its payload schema). */
export type PayloadInput<T extends JobTypeLike> = InputOf<T['payload']>;

/** A job's stored payload for job type `T` (`z.output` of its payload schema). */
export type PayloadOutput<T extends JobTypeLike> = OutputOf<T['payload']>;

/** A succeeded job's result for job type `T` (`z.output` of its result schema). */
export type ResultOutput<T extends JobTypeLike> = T['result'] extends TypedSchema
  ? OutputOf<T['result']>
  : unknown;

/** A job type given by definition or by name. */
export type JobTypeRef = JobTypeLike | string;

/** The name of a job type given by definition or by name. */
export function jobTypeName(type: JobTypeRef): string {
  return typeof type === 'string' ? type : type.name;
}

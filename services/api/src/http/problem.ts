import type { z } from 'zod';

/** One field-level problem: a JSON-pointer-ish path and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An RFC 9457 problem the API answers with. Throw it from any route; the error middleware
 * renders it as `application/problem+json`. 4xx details explain what the caller got wrong;
 * 5xx are rendered without internals.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

export const notFound = (what: string) => new ProblemError(404, 'Not Found', `${what} not found`);
export const conflict = (detail: string) => new ProblemError(409, 'Conflict', detail);

/** Field errors of a zod failure; paths are prefixed with `prefix` (e.g. `payload`). */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.');
    return { field: path || '(body)', message: i.message };
  });
}

/** Field errors of a payload check's issues (see `KnownJobType.check`). */
export function issueErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = '',
): FieldError[] {
  return issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.');
    return { field: path || '(body)', message: i.message };
  });
}

/** Parses `input` with `schema` or throws a 400 problem listing every field error. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix = '',
  title = 'Invalid request',
): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ProblemError(
      400,
      title,
      'The request has invalid fields; see errors.',
      fieldErrors(result.error, prefix),
    );
  }
  return result.data;
}

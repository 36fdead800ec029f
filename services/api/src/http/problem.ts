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

/**
 * Field errors of a zod failure, one per field; paths are prefixed with `prefix` (e.g.
 * `payload`). A missing value reads `is required` (not zod's `expected nonoptional, received
 * undefined`); of several bounds a field broke (`z.int().max(1e6)` refuses `1e308` twice, as
 * beyond the safe integers and beyond 1e6) only the tightest is named.
 */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const byField = new Map<string, z.core.$ZodIssue>();
  for (const issue of error.issues) {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.') || '(body)';
    const seen = byField.get(path);
    if (seen === undefined || tighter(issue, seen)) byField.set(path, issue);
  }
  return [...byField].map(([field, issue]) => ({ field, message: messageOf(issue) }));
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message))
    return 'is required';
  return issue.message;
}

/** True when `issue` is a stricter bound of the same kind than `seen`. */
function tighter(issue: z.core.$ZodIssue, seen: z.core.$ZodIssue): boolean {
  if (issue.code === 'too_big' && seen.code === 'too_big')
    return Number(issue.maximum) < Number(seen.maximum);
  if (issue.code === 'too_small' && seen.code === 'too_small')
    return Number(issue.minimum) > Number(seen.minimum);
  return false;
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

import { submitJobSchema, unknownTypeMessage } from '@conveyor/contracts';
import type { FileStore, JobCatalogueReader, NewJob } from '@conveyor/jobs/store';
import type { AuthUser } from '../auth/user.js';
import { fieldErrors, issueErrors, type FieldError } from '../http/problem.js';

/** A submission checked against the contract and its job type, or every field error it has. */
export type CheckedSubmission =
  { ok: true; job: NewJob; callbackUrl: string | null } | { ok: false; errors: FieldError[] };

const join = (prefix: string, field: string) => (prefix ? `${prefix}.${field}` : field);

/**
 * Validates one submission: the strict envelope (`submitJobSchema`, so `status`, `owner`,
 * `attempts`, `_id` are refused), then the payload against the schema its job type has in the
 * catalogue, then that a referenced upload belongs to the caller. Field names are prefixed
 * with `prefix` (`jobs.3` in a batch).
 */
export async function checkSubmission(
  input: unknown,
  user: AuthUser,
  deps: { uploads: FileStore; catalogue: JobCatalogueReader },
  prefix = '',
  now: Date = new Date(),
): Promise<CheckedSubmission> {
  const parsed = submitJobSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error, prefix) };
  const body = parsed.data;
  const types = await deps.catalogue.lookup([body.type]);
  const known = types(body.type);
  if (!known)
    return {
      ok: false,
      errors: [{ field: join(prefix, 'type'), message: unknownTypeMessage(body.type, types) }],
    };
  const checked = known.check(body.payload);
  if (!checked.success)
    return { ok: false, errors: issueErrors(checked.issues, join(prefix, 'payload')) };
  // n.b. hooks exist only where this process has the type's definition in code (built-ins)
  const def = known.definition;
  const payload = { data: checked.data as never };
  const defaults = known.entry.defaults;

  for (const { field, owner } of def?.ownersOf?.(payload.data) ?? []) {
    if (owner !== user.sub)
      return {
        ok: false,
        errors: [
          {
            field: join(prefix, `payload.${field}`),
            message: `must be your own subject (${JSON.stringify(user.sub)}): a ${known.name} reports only on its owner`,
          },
        ],
      };
  }

  for (const { field, uploadId } of def?.uploadsOf?.(payload.data) ?? []) {
    if (!(await deps.uploads.find(uploadId, user.admin ? undefined : user.sub)))
      return {
        ok: false,
        errors: [{ field: join(prefix, `payload.${field}`), message: 'no such upload' }],
      };
  }

  const runAt =
    body.runAt !== undefined
      ? new Date(body.runAt)
      : body.delayMs !== undefined
        ? new Date(now.getTime() + body.delayMs)
        : now;
  return {
    ok: true,
    job: {
      type: known.name,
      payload: payload.data,
      priority: body.priority ?? def?.priorityOf?.(payload.data) ?? defaults.priority,
      owner: user.sub,
      ownerEmail: user.email,
      maxAttempts: body.maxAttempts ?? defaults.maxAttempts,
      timeoutMs: body.timeoutMs ?? defaults.timeoutMs,
      runAt,
      idempotencyKey: body.idempotencyKey ?? null,
      searchPaths: known.entry.search,
      ...(body.callbackUrl ? { reactions: ['callback' as const] } : {}),
    },
    callbackUrl: body.callbackUrl ?? null,
  };
}

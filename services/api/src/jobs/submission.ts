import { findJobType, submitJobSchema } from '@conveyor/contracts';
import type { FileStore, NewJob } from '@conveyor/jobs/store';
import type { AuthUser } from '../auth/user.js';
import { fieldErrors, type FieldError } from '../http/problem.js';

/** A submission checked against the contract and its job type, or every field error it has. */
export type CheckedSubmission =
  { ok: true; job: NewJob; callbackUrl: string | null } | { ok: false; errors: FieldError[] };

const join = (prefix: string, field: string) => (prefix ? `${prefix}.${field}` : field);

/**
 * Validates one submission: the strict envelope (`submitJobSchema`, so `status`, `owner`,
 * `attempts`, `_id` are refused), then the job type's payload schema, then that a referenced
 * upload belongs to the caller. Field names are prefixed with `prefix` (`jobs.3` in a batch).
 */
export async function checkSubmission(
  input: unknown,
  user: AuthUser,
  uploads: FileStore,
  prefix = '',
  now: Date = new Date(),
): Promise<CheckedSubmission> {
  const parsed = submitJobSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error, prefix) };
  const body = parsed.data;
  const def = findJobType(body.type);
  if (!def)
    return {
      ok: false,
      errors: [
        { field: join(prefix, 'type'), message: `unknown job type ${JSON.stringify(body.type)}` },
      ],
    };
  const payload = def.payload.safeParse(body.payload);
  if (!payload.success)
    return { ok: false, errors: fieldErrors(payload.error, join(prefix, 'payload')) };

  for (const { field, owner } of def.ownersOf?.(payload.data) ?? []) {
    if (owner !== user.sub)
      return {
        ok: false,
        errors: [
          {
            field: join(prefix, `payload.${field}`),
            message: `must be your own subject (${JSON.stringify(user.sub)}): a ${def.name} reports only on its owner`,
          },
        ],
      };
  }

  for (const { field, uploadId } of def.uploadsOf?.(payload.data) ?? []) {
    if (!(await uploads.find(uploadId, user.admin ? undefined : user.sub)))
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
      type: def.name,
      payload: payload.data,
      priority: body.priority ?? def.priorityOf?.(payload.data) ?? 'normal',
      owner: user.sub,
      ownerEmail: user.email,
      maxAttempts: body.maxAttempts ?? def.maxAttempts,
      timeoutMs: body.timeoutMs ?? def.timeoutMs,
      runAt,
      idempotencyKey: body.idempotencyKey ?? null,
    },
    callbackUrl: body.callbackUrl ?? null,
  };
}

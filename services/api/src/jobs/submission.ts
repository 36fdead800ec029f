import { findJobType, prioritySchema, submitJobSchema, type Priority } from '@conveyor/contracts';
import type { FileStore, NewJob } from '@conveyor/jobs/store';
import type { AuthUser } from '../auth/user.js';
import { fieldErrors, type FieldError } from '../http/problem.js';

/** A submission checked against the contract and its job type, or every field error it has. */
export type CheckedSubmission = { ok: true; job: NewJob } | { ok: false; errors: FieldError[] };

const join = (prefix: string, field: string) => (prefix ? `${prefix}.${field}` : field);

/** Email jobs carry their own `priority` in the payload; it is the job's default priority. */
function defaultPriority(type: string, payload: unknown): Priority {
  if (type.startsWith('email.') && typeof payload === 'object' && payload !== null) {
    const parsed = prioritySchema.safeParse((payload as { priority?: unknown }).priority);
    if (parsed.success) return parsed.data;
  }
  return 'normal';
}

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

  const uploadId = referencedUpload(payload.data);
  if (
    uploadId !== undefined &&
    !(await uploads.find(uploadId, user.admin ? undefined : user.sub))
  ) {
    return {
      ok: false,
      errors: [{ field: join(prefix, 'payload.source.uploadId'), message: 'no such upload' }],
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
      priority: body.priority ?? defaultPriority(def.name, payload.data),
      owner: user.sub,
      ownerEmail: user.email,
      maxAttempts: body.maxAttempts ?? def.maxAttempts,
      timeoutMs: body.timeoutMs ?? def.timeoutMs,
      runAt,
      idempotencyKey: body.idempotencyKey ?? null,
    },
  };
}

/** The upload a `data.process` payload reads from, if any. */
function referencedUpload(payload: unknown): string | undefined {
  const source = (payload as { source?: unknown } | null)?.source;
  const id = (source as { uploadId?: unknown } | null | undefined)?.uploadId;
  return typeof id === 'string' ? id : undefined;
}

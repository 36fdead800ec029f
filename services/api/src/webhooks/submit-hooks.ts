import { webhookDeliver } from '@conveyor/contracts';
import type { JobDoc, NewJob } from '@conveyor/jobs';
import type { AuthUser } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import type { FieldError } from '../http/problem.js';

/**
 * Field errors for submissions that would sign a webhook (a `webhook.deliver` job or a
 * `callbackUrl`) while the owner has no signing secret yet: better a 400 now than a job that
 * fails later.
 */
export async function needsSigningSecret(
  deps: Pick<ApiDeps, 'webhookSecrets'>,
  user: AuthUser,
  submissions: { job: Pick<NewJob, 'type'>; callbackUrl: string | null }[],
  /** Field names of a batch are `jobs.<i>.<field>`. */
  batch = false,
): Promise<FieldError[]> {
  const signing = submissions
    .map((s, i) => ({ ...s, i }))
    .filter((s) => s.job.type === webhookDeliver.name || s.callbackUrl !== null);
  if (signing.length === 0 || (await deps.webhookSecrets.exists(user.sub))) return [];
  return signing.map((s) => ({
    field: `${batch ? `jobs.${s.i}.` : ''}${s.callbackUrl !== null ? 'callbackUrl' : 'type'}`,
    message: 'webhooks are signed with your secret: create one first with POST /v1/webhooks/secret',
  }));
}

/** Records the completion callbacks of freshly created jobs, before they are dispatched. */
export async function registerCallbacks(
  deps: Pick<ApiDeps, 'callbacks'>,
  entries: { job: JobDoc; url: string | null }[],
): Promise<void> {
  const wanted = entries.filter((e): e is { job: JobDoc; url: string } => e.url !== null);
  await deps.callbacks.register(wanted);
}

import type { JobCore } from '../core.js';
import type { JobDoc } from '../job.model.js';

/**
 * Retries a failed or cancelled job with a fresh budget of attempts and dispatches it.
 * Null when there is no such job (of `owner`) or it is not failed/cancelled.
 */
export async function retryJob(core: JobCore, id: string, owner?: string): Promise<JobDoc | null> {
  const job = await core.repo.get(id, owner);
  if (!job) return null;
  const moved = await core.repo.transition('retryFinished', job._id, {
    owner,
    attempts: job.attempts,
    attemptBudget: job.attemptBudget,
  });
  if (moved) await core.dispatcher.dispatch(moved);
  return moved;
}

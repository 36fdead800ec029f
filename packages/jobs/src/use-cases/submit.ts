import type { JobCore } from '../core.js';
import type { JobDoc } from '../job.model.js';
import type { NewJob } from '../job.repository.js';

/** One submitted job: the stored job, and whether this call created it. */
export interface Submitted {
  job: JobDoc;
  /** False when the owner's idempotency key was seen before: `job` is the first one. */
  created: boolean;
}

/**
 * Submits jobs — the one way a job comes into being, for the API, schedule fires and digests
 * alike: stores them (the source of truth; each created job's lifecycle event is published),
 * then publishes the dispatches of the queued ones with confirms (with fair dispatch on, a
 * backlog beyond the group's window waits in the store for the releaser). A dispatch the broker did
 * not confirm stays unpublished for the outbox sweeper, so an accepted job is never lost.
 */
export async function submitJobs(core: JobCore, inputs: NewJob[]): Promise<Submitted[]> {
  if (inputs.length === 0) return [];
  // n.b. fair dispatch holds a backlog in the store (marked in the insert itself); the
  // scheduler's releaser publishes it
  if (core.fair) await core.fair.plan(inputs);
  const results = await core.repo.createMany(inputs);
  const queued = results
    .filter((r) => r.created && r.job.status === 'queued' && !r.job.holdKey)
    .map((r) => r.job);
  if (queued.length === 1) await core.dispatcher.dispatch(queued[0]!);
  else if (queued.length > 1) await core.dispatcher.dispatchMany(queued);
  return results;
}

/** {@link submitJobs} of one job. */
export async function submitJob(core: JobCore, input: NewJob): Promise<Submitted> {
  const [res] = await submitJobs(core, [input]);
  return res!;
}

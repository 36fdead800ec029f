import type { JobError, JobStatus } from '@conveyor/contracts';
import type { JobDoc } from './job.model.js';

/** One step of a job's timeline, as `GET /v1/jobs/{id}/timeline` serves it. */
export interface TimelineStep {
  status: JobStatus;
  /** The job's `attempts` after the step (its lifecycle event's `attempt`). */
  attempt: number;
  occurredAt: Date;
  error: JobError | null;
  runAt: Date | null;
  workerId: string | null;
}

/** Transitions that give an attempt back (`attempts` decremented). */
const GIVE_BACK = new Set(['releaseToQueued', 'deferToScheduled']);

/**
 * A job's timeline from its history: every lifecycle event it had, with the attempt number
 * and worker its event carried (attempts counted from the claims, less those given back; the
 * worker of the last claim from then on). Null for a job stored before histories existed.
 */
export function timelineOf(job: Pick<JobDoc, 'history'>): TimelineStep[] | null {
  const history = job.history;
  if (!history || history[0]?.t !== 'create') return null;
  let attempts = 0;
  let worker: string | null = null;
  return history.map((h) => {
    if (h.t === 'moveToRunning') {
      attempts++;
      worker = h.workerId ?? worker;
    } else if (GIVE_BACK.has(h.t)) attempts--;
    return {
      status: h.status,
      attempt: attempts,
      occurredAt: new Date(h.at),
      error: h.error ?? null,
      runAt: h.runAt ? new Date(h.runAt) : null,
      workerId: worker,
    };
  });
}

import { envelope, jobCancel } from '@conveyor/contracts';
import { publishEnvelope } from '@conveyor/platform';
import type { JobCore } from '../core.js';
import type { JobDoc } from '../job.model.js';

/** The result of {@link cancelJob}. */
export type CancelResult =
  /** The job was scheduled or queued: it is cancelled now. */
  | { kind: 'cancelled'; job: JobDoc }
  /** The job is running: its worker was asked to stop and will end it as cancelled. */
  | { kind: 'requested'; job: JobDoc }
  /** No such job (of this owner), or it had already finished. */
  | { kind: 'not-cancellable' };

/**
 * Cancels a job. Scheduled/queued: cancelled at once. Running: `cancelRequested` is set and a
 * cancel is broadcast on the control exchange (the running worker may be any replica); the
 * worker aborts the handler's signal and records `cancelled`. Its heartbeat also sees the
 * flag, should the broadcast be lost. `owner` limits it to that owner's job.
 */
export async function cancelJob(core: JobCore, id: string, owner?: string): Promise<CancelResult> {
  const waiting = await core.repo.transition('cancelWaiting', id, { owner });
  if (waiting) return { kind: 'cancelled', job: waiting };
  const running = await core.repo.transition('requestCancel', id, { owner });
  if (!running) return { kind: 'not-cancellable' };
  const env = envelope(
    jobCancel,
    { jobId: running._id.toHexString() },
    { correlationId: running.correlationId },
  );
  await publishEnvelope(core.amqp, jobCancel, core.topology.exchanges.control, '', env, {
    mandatory: false,
  });
  return { kind: 'requested', job: running };
}

import type { MisfirePolicy, OverlapPolicy } from '@conveyor/contracts';
import type { DueFireTimes } from './cron.js';

/** What to do with a schedule at one scan. */
export interface FireDecision {
  /** The fire time to submit a job for, or null to submit none. */
  fireAt: Date | null;
  /** Fire times dropped by the misfire policy. */
  misfires: number;
  /** True when the overlap policy suppressed `fireAt`'s job. */
  overlapSkipped: boolean;
}

/** Inputs of {@link decideFire}. */
export interface FireDecisionInput {
  due: DueFireTimes;
  now: Date;
  misfirePolicy: MisfirePolicy;
  overlapPolicy: OverlapPolicy;
  /** A job of this schedule is still scheduled, queued or running. */
  hasActiveJob: boolean;
  /** How late a fire may be and still count as on time under `skip`. */
  toleranceMs: number;
}

/**
 * The misfire and overlap rules as a pure function. Only the latest due fire time is ever
 * submitted (a backlog never turns into a burst): `skip` submits it only if it is within
 * `toleranceMs` of now, `run-once` submits it however late. Every other due time is a
 * misfire. `overlapPolicy: skip` then drops the fire while an earlier job is still active.
 */
export function decideFire(input: FireDecisionInput): FireDecision {
  const { due, now } = input;
  if (due.count === 0 || !due.latest) return { fireAt: null, misfires: 0, overlapSkipped: false };
  const onTime = now.getTime() - due.latest.getTime() <= input.toleranceMs;
  const fire = input.misfirePolicy === 'run-once' || onTime;
  const misfires = fire ? due.count - 1 : due.count;
  if (!fire) return { fireAt: null, misfires, overlapSkipped: false };
  if (input.overlapPolicy === 'skip' && input.hasActiveJob) return { fireAt: null, misfires, overlapSkipped: true };
  return { fireAt: due.latest, misfires, overlapSkipped: false };
}

import type { MisfirePolicy, OverlapPolicy } from '@conveyor/contracts';
import type { DueFireTimes } from './cron.js';

/** What to do with a schedule at one scan. */
export interface FireDecision {
  /** The fire times to submit a job for, oldest first (often none or one). */
  fireAt: Date[];
  /** Fire times dropped by the misfire policy. */
  misfires: number;
  /** True when the overlap policy suppressed the fire. */
  overlapSkipped: boolean;
}

/** Inputs of {@link decideFire}. */
export interface FireDecisionInput {
  /** All fire times due since the stored `nextFireAt` (count and latest). */
  due: DueFireTimes;
  /** The due fire times within `toleranceMs` of now, oldest first (a suffix of the due ones). */
  onTime: Date[];
  now: Date;
  misfirePolicy: MisfirePolicy;
  overlapPolicy: OverlapPolicy;
  /** A job of this schedule is still scheduled, queued or running. */
  hasActiveJob: boolean;
}

/**
 * The misfire and overlap rules as a pure function. Fire times within the tolerance are on
 * time and all fire (a scan that ran a little late must not drop a per-second schedule's
 * fires). Older ones are misfires: `skip` drops them, `run-once` fires the latest of them
 * once when nothing is on time. `overlapPolicy: skip` fires at most the latest, and nothing
 * while an earlier job is still active.
 */
export function decideFire(input: FireDecisionInput): FireDecision {
  const { due, onTime } = input;
  if (due.count === 0 || !due.latest) return { fireAt: [], misfires: 0, overlapSkipped: false };
  let fireAt = onTime;
  if (fireAt.length === 0 && input.misfirePolicy === 'run-once') fireAt = [due.latest];
  const misfires = due.count - fireAt.length;
  if (fireAt.length === 0 || input.overlapPolicy === 'allow')
    return { fireAt, misfires, overlapSkipped: false };
  if (input.hasActiveJob) return { fireAt: [], misfires, overlapSkipped: true };
  return {
    fireAt: fireAt.slice(-1),
    misfires: misfires + fireAt.length - 1,
    overlapSkipped: false,
  };
}

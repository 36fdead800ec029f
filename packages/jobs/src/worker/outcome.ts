import type { JobDoc } from '../job.model.js';

/** Why a running attempt's signal was aborted. */
export type AbortReason = 'cancel' | 'timeout' | 'shutdown' | 'lease-lost';

/** An AbortController whose reason is typed. */
export class AttemptAbort {
  private readonly ctl = new AbortController();
  private why: AbortReason | null = null;

  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  /** The first reason given, or null while not aborted. */
  get reason(): AbortReason | null {
    return this.why;
  }

  abort(reason: AbortReason): void {
    if (this.why) return;
    this.why = reason;
    this.ctl.abort(reason);
  }
}

/** How one delivery of a dispatch ended; {@link settlementOf} says what the broker is told. */
export type AttemptOutcome =
  /** The claim was refused: a duplicate or stale dispatch, or a cancelled job. */
  | { kind: 'rejected' }
  /**
   * Not claimed because of a fleet-wide limit: held in the store until a slot frees, or
   * deferred to the start a rate limit reserved. The attempt is unspent.
   */
  | { kind: 'limited'; reason: 'concurrency' | 'rate' }
  | { kind: 'succeeded'; job: JobDoc }
  /** Failed; another attempt is scheduled. */
  | { kind: 'retry'; job: JobDoc }
  | { kind: 'failed'; job: JobDoc }
  /** The handler deferred the job: scheduled again, the attempt given back. */
  | { kind: 'deferred'; job: JobDoc }
  | { kind: 'cancelled'; job: JobDoc }
  /** Shutdown stopped the handler; the job is queued again without spending the attempt. */
  | { kind: 'released' }
  /** The lease was lost (reaped, taken over): the outcome was not recorded. */
  | { kind: 'lease-lost' }
  /** No handler for this type in this worker (another build of the group shares its queue). */
  | { kind: 'no-handler' }
  /** Recording a claim or outcome failed (the store is failing): try the message again later. */
  | { kind: 'store-error'; error: unknown };

export type OutcomeKind = AttemptOutcome['kind'];

/** What to do with the delivery: ack, requeue (after `pauseMs`), or dead-letter. */
export type Settlement =
  { action: 'ack' } | { action: 'requeue'; pauseMs: number } | { action: 'dead-letter' };

/**
 * The one mapping from outcome to settlement. A delivery is acked only once the state this
 * worker is responsible for is stored; a store failure holds the message a while before the
 * requeue (1, 2, 4, 8, then 10 s by delivery count), so a short outage does not burn the
 * queue's delivery limit in a tight loop.
 */
export function settlementOf(outcome: AttemptOutcome, deliveryCount: number): Settlement {
  switch (outcome.kind) {
    case 'released':
      return { action: 'requeue', pauseMs: 0 };
    case 'store-error':
      return { action: 'requeue', pauseMs: Math.min(10_000, 1000 * 2 ** deliveryCount) };
    case 'no-handler':
      // n.b. only a queue shared by two builds of a group (a rolling upgrade) delivers a type
      // a replica lacks: give it back for a replica that has it; the delivery limit bounds it
      return { action: 'requeue', pauseMs: 2000 };
    default:
      return { action: 'ack' };
  }
}

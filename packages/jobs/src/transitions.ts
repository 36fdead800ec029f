import type { JobError, JobStatus, Progress } from '@conveyor/contracts';
import type { HistoryEntry, JobDoc } from './job.model.js';

/**
 * Every state change of a job, in one table. A transition names the states it may start
 * from, the extra conditions that fence it (attempt number, lease token) and the change it
 * makes. {@link JobRepository.transition} applies an entry as ONE conditional write
 * (`findOneAndUpdate({_id, status: {$in: from}, ...conditions})`), which MongoDB applies
 * atomically: of any number of racing writers, exactly one moves the job, and a duplicate or
 * stale message finds the job no longer matching. When `emits` is set, the job's lifecycle
 * event (`job.<status>.<type>`) is published after the write, so no caller can forget it.
 *
 * Nothing outside this file writes `status`.
 */
export interface Transition<A> {
  /** States the job may be in. */
  readonly from: readonly JobStatus[];
  /** Conditions besides `_id` and `status` (the fence). */
  readonly when: (args: A) => Record<string, unknown>;
  /** The change, as an update document. */
  readonly change: (args: A, now: Date) => { $set: Partial<JobDoc>; $inc?: Partial<JobDoc> };
  /** Publish the job's lifecycle event after the write. */
  readonly emits: boolean;
}

const define = <A>(t: Transition<A>): Transition<A> => Object.freeze(t);

/** The fields that end a running attempt's lease. */
export const LEASE_ENDED = { leaseToken: null, leaseUntil: null } as const;

const CANCELLED: JobError = { code: 'CANCELLED', message: 'job was cancelled', retryable: false };

/** Statuses from which a job never moves again on its own. */
export const FINISHED_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;

/** True for the statuses a job never leaves on its own (see FINISHED_STATUSES). */
export function isFinished(status: JobStatus | undefined): boolean {
  return (FINISHED_STATUSES as readonly (JobStatus | undefined)[]).includes(status);
}

/** The status a new job starts in: `scheduled` when `runAt` is in the future. */
export function initialStatus(runAt: Date, now: Date): 'scheduled' | 'queued' {
  return runAt.getTime() > now.getTime() ? 'scheduled' : 'queued';
}

export const TRANSITIONS = Object.freeze({
  /** scheduled -> queued, by the promoter, once `runAt` has come (`batch` marks whose pass). */
  moveToQueued: define<{ now: Date; batch: string }>({
    from: ['scheduled'],
    when: ({ now }) => ({ runAt: { $lte: now } }),
    change: ({ batch }, now) => ({
      $set: { status: 'queued', queuedAt: now, publishedAt: null, batch, updatedAt: now },
    }),
    emits: true,
  }),

  /**
   * queued -> running for attempt `attempt`: only the dispatch of the next attempt claims.
   * `maxAttempts`, when given (a worker running the job from its dispatch's snapshot), must
   * still be the job's: a snapshot whose attempt budget changed since claims nothing.
   */
  moveToRunning: define<{
    attempt: number;
    workerId: string;
    leaseToken: string;
    leaseMs: number;
    maxAttempts?: number;
  }>({
    from: ['queued'],
    when: ({ attempt, maxAttempts }) => ({
      attempts: attempt - 1,
      cancelRequested: false,
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    }),
    change: ({ workerId, leaseToken, leaseMs }, now) => ({
      $set: {
        status: 'running',
        startedAt: now,
        leaseToken,
        leaseUntil: new Date(now.getTime() + leaseMs),
        workerId,
        progress: null,
        // n.b. a limit's hold and rate reservation are spent by the start they were for
        holdKey: null,
        rateSlotAt: null,
        updatedAt: now,
      },
      $inc: { attempts: 1 },
    }),
    emits: true,
  }),

  /** running -> running with a longer lease (the worker's heartbeat). */
  renewLease: define<{ leaseToken: string; leaseMs: number }>({
    from: ['running'],
    when: ({ leaseToken }) => ({ leaseToken }),
    change: ({ leaseMs }, now) => ({ $set: { leaseUntil: new Date(now.getTime() + leaseMs) } }),
    emits: false,
  }),

  /** running -> running with new progress (its event is published by the worker). */
  recordProgress: define<{ leaseToken: string; progress: Progress }>({
    from: ['running'],
    when: ({ leaseToken }) => ({ leaseToken }),
    change: ({ progress }, now) => ({ $set: { progress, updatedAt: now } }),
    emits: false,
  }),

  /** running -> succeeded with the handler's result (and its last progress message). */
  moveToSucceeded: define<{ leaseToken: string; result: unknown; message?: string }>({
    from: ['running'],
    when: ({ leaseToken }) => ({ leaseToken }),
    change: ({ result, message }, now) => ({
      $set: {
        status: 'succeeded',
        result: JSON.stringify(result ?? null),
        error: null,
        finishedAt: now,
        ...LEASE_ENDED,
        progress: { percent: 100, ...(message ? { message } : {}) },
        updatedAt: now,
      },
    }),
    emits: true,
  }),

  /** running -> scheduled: the attempt failed and another one runs at `retryAt`. */
  moveToRetry: define<{ leaseToken: string; error: JobError; retryAt: Date }>({
    from: ['running'],
    when: ({ leaseToken }) => ({ leaseToken }),
    change: ({ error, retryAt }, now) => ({
      $set: {
        status: 'scheduled',
        runAt: retryAt,
        queuedAt: null,
        publishedAt: null,
        error,
        ...LEASE_ENDED,
        updatedAt: now,
      },
    }),
    emits: true,
  }),

  /**
   * running -> scheduled at `runAt`, giving the attempt back: the handler deferred the job
   * (it could not run now for a reason outside it, see DeferJobError).
   */
  deferToScheduled: define<{ leaseToken: string; runAt: Date }>({
    from: ['running'],
    when: ({ leaseToken }) => ({ leaseToken }),
    change: ({ runAt }, now) => ({
      $set: {
        status: 'scheduled',
        runAt,
        queuedAt: null,
        publishedAt: null,
        ...LEASE_ENDED,
        updatedAt: now,
      },
      $inc: { attempts: -1 },
    }),
    emits: true,
  }),

  /** running -> failed: the attempt failed for good (permanent, or no attempt left). */
  moveToFailed: define<{ leaseToken: string; error: JobError }>({
    from: ['running'],
    when: ({ leaseToken }) => ({ leaseToken }),
    change: ({ error }, now) => ({
      $set: { status: 'failed', finishedAt: now, error, ...LEASE_ENDED, updatedAt: now },
    }),
    emits: true,
  }),

  /** running -> cancelled, by the worker whose handler a cancel request aborted. */
  moveRunningToCancelled: define<{ leaseToken: string }>({
    from: ['running'],
    when: ({ leaseToken }) => ({ leaseToken }),
    change: (_a, now) => ({
      $set: {
        status: 'cancelled',
        finishedAt: now,
        error: CANCELLED,
        ...LEASE_ENDED,
        updatedAt: now,
      },
    }),
    emits: true,
  }),

  /**
   * running -> queued without spending the attempt: the worker shut down before the handler
   * finished and gives the message back to the broker, whose redelivery claims it again (or,
   * for a message already acked, leaves the job to the outbox sweeper).
   */
  releaseToQueued: define<{ leaseToken: string; redelivery: 'broker' | 'outbox' }>({
    from: ['running'],
    when: ({ leaseToken }) => ({ leaseToken }),
    change: ({ redelivery }, now) => ({
      $set: {
        status: 'queued',
        queuedAt: now,
        // n.b. a message acked at the claim is gone: the outbox sweeper publishes it again
        publishedAt: redelivery === 'broker' ? now : null,
        ...LEASE_ENDED,
        updatedAt: now,
      },
      $inc: { attempts: -1 },
    }),
    emits: true,
  }),

  /**
   * running with an expired lease (worker killed or hung) -> queued for another attempt,
   * failed when none is left, or cancelled when a cancel was requested. The caller read the
   * job and passes what it saw; the write only lands if that is still true.
   */
  expireLease: define<{
    leaseToken: string;
    cancelRequested: boolean;
    to: 'queued' | 'failed' | 'cancelled';
    workerId: string | null;
  }>({
    from: ['running'],
    when: ({ leaseToken, cancelRequested }) => ({ leaseToken, cancelRequested }),
    change: ({ to, workerId }, now) => {
      const error: JobError =
        to === 'cancelled'
          ? CANCELLED
          : {
              code: 'LEASE_EXPIRED',
              message: `worker ${workerId ?? '?'} stopped renewing its lease`,
              retryable: true,
            };
      return {
        $set: {
          status: to,
          error,
          ...LEASE_ENDED,
          ...(to === 'queued' ? { queuedAt: now, publishedAt: null } : { finishedAt: now }),
          updatedAt: now,
        },
      };
    },
    emits: true,
  }),

  /** scheduled/queued -> cancelled at once (the API's cancel of a job not running yet). */
  cancelWaiting: define<{ owner?: string }>({
    from: ['scheduled', 'queued'],
    when: ({ owner }) => (owner === undefined ? {} : { owner }),
    change: (_a, now) => ({
      $set: {
        status: 'cancelled',
        finishedAt: now,
        cancelRequested: true,
        error: CANCELLED,
        updatedAt: now,
      },
    }),
    emits: true,
  }),

  /** running -> running with `cancelRequested` (its worker ends it as cancelled). */
  requestCancel: define<{ owner?: string }>({
    from: ['running'],
    when: ({ owner }) => (owner === undefined ? {} : { owner }),
    change: (_a, now) => ({ $set: { cancelRequested: true, updatedAt: now } }),
    emits: false,
  }),

  /**
   * failed/cancelled -> queued with a fresh budget of attempts. `attempts` keeps counting up,
   * so a stale dispatch of an earlier attempt can never claim the job again; the caller read
   * `attempts` and the write only lands if it is unchanged.
   */
  retryFinished: define<{ owner?: string; attempts: number; attemptBudget: number }>({
    from: ['failed', 'cancelled'],
    when: ({ owner, attempts }) => ({ attempts, ...(owner === undefined ? {} : { owner }) }),
    change: ({ attempts, attemptBudget }, now) => ({
      $set: {
        status: 'queued',
        maxAttempts: attempts + attemptBudget,
        runAt: now,
        queuedAt: now,
        publishedAt: null,
        finishedAt: null,
        error: null,
        result: null,
        progress: null,
        cancelRequested: false,
        updatedAt: now,
      },
    }),
    emits: true,
  }),

  /**
   * queued -> queued, held in the store (not in the broker) under `holdKey`: a concurrency
   * limit is full (`limit:<id>`) or fair dispatch keeps the backlog (`fair:<queue>`). The
   * attempt is not spent; {@link TRANSITIONS.releaseHold} lets it go.
   */
  holdQueued: define<{ attempt: number; holdKey: string }>({
    from: ['queued'],
    when: ({ attempt }) => ({ attempts: attempt - 1, cancelRequested: false, holdKey: null }),
    change: ({ holdKey }, now) => ({ $set: { holdKey, publishedAt: null, updatedAt: now } }),
    emits: false,
  }),

  /** queued (held) -> queued, to be dispatched again by whoever released it. */
  releaseHold: define<{ holdKey: string }>({
    from: ['queued'],
    when: ({ holdKey }) => ({ holdKey }),
    change: (_args, now) => ({ $set: { holdKey: null, publishedAt: null, updatedAt: now } }),
    emits: false,
  }),

  /**
   * queued -> scheduled until the start a rate limit reserved for it (`rateSlotAt`), the
   * attempt unspent: the promoter queues it then and the claim uses the reservation.
   */
  deferForRate: define<{ attempt: number; at: Date }>({
    from: ['queued'],
    when: ({ attempt }) => ({ attempts: attempt - 1, cancelRequested: false }),
    change: ({ at }, now) => ({
      $set: {
        status: 'scheduled',
        runAt: at,
        rateSlotAt: at,
        queuedAt: null,
        publishedAt: null,
        updatedAt: now,
      },
    }),
    emits: true,
  }),

  /** queued -> queued, marked published: its dispatch was confirmed by the broker. */
  markPublished: define<{ at: Date }>({
    from: ['queued'],
    when: () => ({}),
    change: ({ at }) => ({ $set: { publishedAt: at } }),
    emits: false,
  }),
});

export type TransitionName = keyof typeof TRANSITIONS;
export type TransitionArgs<N extends TransitionName> =
  (typeof TRANSITIONS)[N] extends Transition<infer A> ? A : never;

/** The filter and update of one transition, for a job id or a set of ids. */
export function transitionWrite<N extends TransitionName>(
  name: N,
  id: unknown,
  args: TransitionArgs<N>,
  now: Date,
): { filter: Record<string, unknown>; update: Record<string, unknown> } {
  const t = TRANSITIONS[name] as Transition<TransitionArgs<N>>;
  const update: Record<string, unknown> = t.change(args, now);
  const set = update['$set'] as Partial<JobDoc>;
  if (t.emits) update['$push'] = { history: historyEntry(name, set, now) };
  // n.b. the final event is owed from this write on, until the broker confirms it (see JobDoc)
  if (t.emits && isFinished(set.status)) set.eventPendingAt = now;
  return {
    filter: {
      _id: id,
      status: t.from.length === 1 ? t.from[0] : { $in: [...t.from] },
      ...t.when(args),
    },
    update,
  };
}

/**
 * `doc` with a transition's update applied, as the store applies it: `$set` of each field,
 * `$inc` of numbers, `$push` of one value to an array. For a document whose write is known to
 * have landed (see JobRepository.transitionBatch).
 */
export function applyUpdate(doc: JobDoc, update: Record<string, unknown>): JobDoc {
  const out: Record<string, unknown> = { ...doc };
  for (const [op, fields] of Object.entries(update)) {
    for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
      if (op === '$set') out[k] = v;
      else if (op === '$inc') out[k] = ((out[k] as number | undefined) ?? 0) + (v as number);
      else if (op === '$push') out[k] = [...((out[k] as unknown[] | undefined) ?? []), v];
      else throw new Error(`applyUpdate: ${op} is not supported`);
    }
  }
  return out as unknown as JobDoc;
}

/** The history entry an emitting transition appends with its own write. */
export function historyEntry(name: string, set: Partial<JobDoc>, now: Date): HistoryEntry {
  const status = set.status!;
  return {
    t: name,
    status,
    at: now,
    ...(set.error ? { error: set.error } : {}),
    ...(status === 'scheduled' && set.runAt ? { runAt: set.runAt } : {}),
    ...(set.workerId ? { workerId: set.workerId } : {}),
  };
}

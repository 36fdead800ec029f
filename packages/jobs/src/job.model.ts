import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { COLLECTIONS } from './collections.js';
import {
  JOB_STATUSES,
  PRIORITIES,
  type JobError,
  type JobReaction,
  type JobStatus,
  type Priority,
  type Progress,
} from '@conveyor/contracts';

/**
 * A job document as stored. `payload` and `result` are JSON text: user data has arbitrary
 * keys (`a.b`, `$x`) that are not valid field names everywhere, and the store never needs to
 * query inside them.
 */
/**
 * The fields of a waiting job that no attempt holds: what a new job is created with, and what
 * a worker rebuilding a queued job from its dispatch (jobFromSnapshot) starts from.
 */
export const NOT_RUNNING = Object.freeze({
  publishedAt: null,
  startedAt: null,
  finishedAt: null,
  progress: null,
  leaseToken: null,
  leaseUntil: null,
  workerId: null,
  cancelRequested: false,
} as const);

export interface JobDoc {
  _id: Types.ObjectId;
  type: string;
  status: JobStatus;
  priority: Priority;
  owner: string;
  ownerEmail: string | null;
  payload: string;
  result: string | null;
  error: JobError | null;
  /** Attempts started so far; a dispatch for attempt N may claim only when this is N - 1. */
  attempts: number;
  maxAttempts: number;
  /** Attempts granted per run: the submitted `maxAttempts`; a retry through the API grants it again. */
  attemptBudget: number;
  timeoutMs: number;
  runAt: Date;
  createdAt: Date;
  updatedAt: Date;
  queuedAt: Date | null;
  /** When the dispatch for the current queued attempt was confirmed by the broker; null = outbox. */
  publishedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  progress: Progress | null;
  /** Fences a running attempt: only the holder of this token may complete it. */
  leaseToken: string | null;
  leaseUntil: Date | null;
  workerId: string | null;
  cancelRequested: boolean;
  /** Unique: `k:<owner length>:<owner>:<idempotencyKey>` (see dedupeKeyOf), or `id:<_id>` without a key. */
  dedupeKey: string;
  idempotencyKey: string | null;
  scheduleId: string | null;
  correlationId: string;
  /**
   * W3C trace context of the job: the span that created it (the HTTP request, or a fresh
   * trace for schedule fires and digests). Every message of the job is a child of it.
   */
  traceparent: string | null;
  /** The promotion pass that last queued this job (lets each scheduler replica find its own). */
  batch: string | null;
  /**
   * What reacts to the job's final state (a completion callback, its workflow): its final
   * events are routed to those reactions' queues too. Absent on jobs stored before reactions
   * existed: the reactions' sweeps cover those.
   */
  reactions?: JobReaction[];
  /**
   * The job's history, one entry per lifecycle event, appended by the same write as the
   * transition it records (see transitionWrite): the timeline costs no queue and no write of
   * its own. Absent on jobs stored before it existed.
   */
  history?: HistoryEntry[];
  /** Stamped by a batched transition's write, to read back which writes landed. */
  writeToken?: string;
  /**
   * Set while the queued job waits in the store instead of the broker: held by a full
   * concurrency limit (`limit:<id>`, with an entry in job_holds) or by fair dispatch
   * (`fair:<queue>`, set when the job is created beyond its group's window).
   */
  holdKey?: string | null;
  /** A fair-held job's turn key: its owner, and its type's `fairKey` value (see fair.ts). */
  fairKey?: string | null;
  /** A fair-held job's order within its key: 1 (`normal`) before 0 (`low`), then oldest first. */
  holdRank?: number | null;
  /** The start a rate limit reserved for this job (it was deferred until then). */
  rateSlotAt?: Date | null;
  /**
   * Set by the write that finishes the job (succeeded, failed, cancelled) and unset once the
   * broker confirmed the job's final lifecycle event: a job still marked after a grace period
   * lost its event (its writer died or the broker was away), and the scheduler's event sweep
   * publishes it again from this document. Absent on jobs whose final event went out.
   */
  eventPendingAt?: Date | null;
  /**
   * The ledger of the worker window that wrote this job's final state (see EventLedger), in
   * place of `eventPendingAt`: while that ledger is stored, the event may be owed.
   */
  eventLedger?: Types.ObjectId;
  /**
   * What a payload search matches, extracted when the job is created (see `searchKeysOf`):
   * `<path>=<value>` and `~<word>` keys, lower-cased and capped. Absent on jobs stored before
   * search existed (until `backfillSearchKeys` fills them), and when the payload has nothing
   * searchable.
   */
  searchKeys?: string[];
}

/** One step of a job's history (see `timelineOf` for what a reader derives from it). */
export interface HistoryEntry {
  /** The transition that wrote it, or `create`. */
  t: string;
  status: JobStatus;
  at: Date;
  error?: JobError | null;
  /** A `scheduled` entry's due time. */
  runAt?: Date;
  /** A `running` entry's worker. */
  workerId?: string;
}

const jobSchema = new Schema<JobDoc>(
  {
    type: { type: String, required: true },
    status: { type: String, enum: JOB_STATUSES, required: true },
    priority: { type: String, enum: PRIORITIES, required: true },
    owner: { type: String, required: true },
    ownerEmail: { type: String, default: null },
    payload: { type: String, required: true },
    result: { type: String, default: null },
    error: {
      type: new Schema({ code: String, message: String, retryable: Boolean }, { _id: false }),
      default: null,
    },
    attempts: { type: Number, required: true },
    maxAttempts: { type: Number, required: true },
    attemptBudget: { type: Number, required: true },
    timeoutMs: { type: Number, required: true },
    runAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    queuedAt: { type: Date, default: null },
    publishedAt: { type: Date, default: null },
    startedAt: { type: Date, default: null },
    finishedAt: { type: Date, default: null },
    progress: {
      type: new Schema({ percent: Number, message: String }, { _id: false }),
      default: null,
    },
    leaseToken: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    workerId: { type: String, default: null },
    cancelRequested: { type: Boolean, default: false },
    dedupeKey: { type: String, required: true },
    idempotencyKey: { type: String, default: null },
    scheduleId: { type: String, default: null },
    correlationId: { type: String, required: true },
    traceparent: { type: String, default: null },
    batch: { type: String, default: null },
    reactions: { type: [String], default: undefined },
    history: { type: [Schema.Types.Mixed], default: undefined },
    writeToken: { type: String, default: undefined },
    holdKey: { type: String, default: undefined },
    fairKey: { type: String, default: undefined },
    holdRank: { type: Number, default: undefined },
    rateSlotAt: { type: Date, default: undefined },
    eventPendingAt: { type: Date, default: undefined },
    eventLedger: { type: Schema.Types.ObjectId, default: undefined },
    searchKeys: { type: [String], default: undefined },
  },
  { versionKey: false, collection: COLLECTIONS.jobs },
);

// Idempotent submits and schedule fires: one job per (owner, key). A full unique index, not a
// partial one (the local server has none): jobs without a key get `id:<_id>`, which never collides.
jobSchema.index({ dedupeKey: 1 }, { unique: true });
// Promoter: `status = scheduled AND runAt <= now`, and the next-due lookup sorted by runAt.
jobSchema.index({ status: 1, runAt: 1 });
// Lease reaper: `status = running AND leaseUntil < now`.
jobSchema.index({ status: 1, leaseUntil: 1 });
// Outbox sweeper: `status = queued AND publishedAt = null AND queuedAt < now - grace`.
jobSchema.index({ status: 1, publishedAt: 1, queuedAt: 1 });
// Listing an owner's jobs newest first with a cursor on _id, optionally by status or type.
jobSchema.index({ owner: 1, _id: -1 });
jobSchema.index({ owner: 1, status: 1, _id: -1 });
jobSchema.index({ owner: 1, type: 1, _id: -1 });
// Payload search (`/v1/jobs/search?field=&value=` or `?text=`): one key of an owner's jobs,
// newest first, the creation-time range and cursor as a range on _id; type and status are
// checked on the (few) jobs the key finds. Multikey: one entry per key of a job.
jobSchema.index({ owner: 1, searchKeys: 1, _id: -1 });
// The same across owners, for an admin's search without an owner.
jobSchema.index({ searchKeys: 1, _id: -1 });
// Overlap policy: is a job of this schedule still queued or running?
jobSchema.index({ scheduleId: 1, status: 1 });
// Event sweep: finished jobs whose final event is unconfirmed, `eventPendingAt < now - grace`.
jobSchema.index({ eventPendingAt: 1 });
// Event sweep of an abandoned ledger: the jobs a worker finished under it.
jobSchema.index({ eventLedger: 1 }, { sparse: true });
// Fair releaser: a group's held jobs by fair key, `normal` before `low`, oldest first.
jobSchema.index({ holdKey: 1, fairKey: 1, holdRank: -1, createdAt: 1 });
// Retention purge and digests: finished jobs by finish time.
jobSchema.index({ finishedAt: 1 });

export type JobModel = Model<JobDoc>;

/** The jobs model bound to a connection (each connection gets its own model). */
export function jobModel(conn: Connection): JobModel {
  return (conn.models['Job'] as JobModel | undefined) ?? conn.model<JobDoc>('Job', jobSchema);
}

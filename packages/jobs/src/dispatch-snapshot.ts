import { Types } from 'mongoose';
import type { JobError, JobReaction, Priority } from '@conveyor/contracts';
import { NOT_RUNNING, type JobDoc } from './job.model.js';

/**
 * Payloads longer than this (characters of their JSON text) are not copied into dispatches:
 * the worker reads such a job back after its claim instead.
 */
export const SNAPSHOT_MAX_PAYLOAD = 8192;

/**
 * The fields of a queued job a worker needs to run it, as a dispatch carries them (`job` of
 * `job.dispatch`): the ones no transition changes while the job waits in its queue, plus
 * `maxAttempts`, which the claim fences. Dates are ISO 8601 text.
 */
export type DispatchSnapshot = {
  owner: string;
  ownerEmail: string | null;
  payload: string;
  maxAttempts: number;
  attemptBudget: number;
  timeoutMs: number;
  runAt: string;
  createdAt: string;
  queuedAt: string | null;
  scheduleId: string | null;
  correlationId: string;
  traceparent: string | null;
  idempotencyKey: string | null;
  dedupeKey: string;
  error: JobError | null;
  reactions?: JobReaction[];
};

/** The snapshot a dispatch of `job` carries; undefined when its payload is too long to copy. */
export function snapshotOf(job: JobDoc): DispatchSnapshot | undefined {
  if (job.payload.length > SNAPSHOT_MAX_PAYLOAD) return undefined;
  return {
    owner: job.owner,
    ownerEmail: job.ownerEmail,
    payload: job.payload,
    maxAttempts: job.maxAttempts,
    attemptBudget: job.attemptBudget,
    timeoutMs: job.timeoutMs,
    runAt: job.runAt.toISOString(),
    createdAt: job.createdAt.toISOString(),
    queuedAt: job.queuedAt ? job.queuedAt.toISOString() : null,
    scheduleId: job.scheduleId,
    correlationId: job.correlationId,
    traceparent: job.traceparent,
    idempotencyKey: job.idempotencyKey,
    dedupeKey: job.dedupeKey,
    error: job.error,
    ...(job.reactions && job.reactions.length > 0 ? { reactions: job.reactions } : {}),
  };
}

const str = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const int = (v: unknown, min: number): v is number => Number.isInteger(v) && (v as number) >= min;
const date = (v: unknown): Date | null => {
  if (!str(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

/**
 * The job document as it stands before the claim of attempt `attempt`, rebuilt from a
 * dispatch's data and its snapshot (`job`) — what a claim that lands turns into the running job without reading
 * it back. Null when the dispatch carries none or it is malformed (the worker reads instead).
 * Fields the worker never uses (history, search keys, fair-dispatch keys) are left out.
 */
export function jobFromSnapshot(d: {
  jobId: string;
  type: string;
  attempt: number;
  priority: Priority;
  /** The dispatch's copy (`job`), as received. */
  job?: unknown;
}): JobDoc | null {
  const snap = d.job;
  if (typeof snap !== 'object' || snap === null || !Types.ObjectId.isValid(d.jobId)) return null;
  const s = snap as Record<string, unknown>;
  const runAt = date(s['runAt']);
  const createdAt = date(s['createdAt']);
  const queuedAt = s['queuedAt'] === null ? null : date(s['queuedAt']);
  const error = s['error'];
  const reactions = s['reactions'];
  if (
    !str(s['owner']) ||
    !strOrNull(s['ownerEmail']) ||
    !str(s['payload']) ||
    !int(s['maxAttempts'], 1) ||
    !int(s['attemptBudget'], 0) ||
    !int(s['timeoutMs'], 1) ||
    !runAt ||
    !createdAt ||
    (s['queuedAt'] !== null && !queuedAt) ||
    !strOrNull(s['scheduleId']) ||
    !str(s['correlationId']) ||
    !strOrNull(s['traceparent']) ||
    !strOrNull(s['idempotencyKey']) ||
    !str(s['dedupeKey']) ||
    !(error === null || (typeof error === 'object' && str((error as JobError).code))) ||
    !(reactions === undefined || Array.isArray(reactions))
  )
    return null;
  return {
    _id: new Types.ObjectId(d.jobId),
    type: d.type,
    status: 'queued',
    priority: d.priority,
    owner: s['owner'],
    ownerEmail: s['ownerEmail'],
    payload: s['payload'],
    result: null,
    error: error as JobError | null,
    attempts: d.attempt - 1,
    maxAttempts: s['maxAttempts'],
    attemptBudget: s['attemptBudget'],
    timeoutMs: s['timeoutMs'],
    runAt,
    createdAt,
    updatedAt: queuedAt ?? createdAt,
    queuedAt,
    ...NOT_RUNNING,
    dedupeKey: s['dedupeKey'],
    idempotencyKey: s['idempotencyKey'],
    scheduleId: s['scheduleId'],
    correlationId: s['correlationId'],
    traceparent: s['traceparent'],
    batch: null,
    ...(reactions ? { reactions: reactions as JobReaction[] } : {}),
  };
}

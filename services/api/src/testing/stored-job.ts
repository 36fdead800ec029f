import { Types } from 'mongoose';
import type { JobDoc } from '@conveyor/jobs/store';

/** What {@link storedJob} varies; the rest is a plain finished job. */
export interface StoredJobOptions {
  owner: string;
  type?: string;
  status?: JobDoc['status'];
  /** How long ago it finished (default 60 s). */
  agoMs?: number;
  /** Queue wait of its last attempt (default 50 ms). */
  waitMs?: number;
  /** Run time of its last attempt (default 100 ms). */
  runMs?: number;
  attempts?: number;
  priority?: JobDoc['priority'];
  payload?: unknown;
  error?: JobDoc['error'];
}

/**
 * A job document as the transitions leave one — finished by default; a `queued` one became
 * due `agoMs` ago and has not started — to insert straight into the jobs
 * collection when a test needs history (figures over a window, a long error) rather than
 * the run that makes it.
 */
export function storedJob(o: StoredJobOptions): JobDoc {
  const waiting = o.status === 'queued';
  const end = new Date(Date.now() - (o.agoMs ?? 60_000));
  const finishedAt = waiting ? null : end;
  const startedAt = waiting ? null : new Date(end.getTime() - (o.runMs ?? 100));
  const queuedAt = startedAt ? new Date(startedAt.getTime() - (o.waitMs ?? 50)) : end;
  const _id = new Types.ObjectId();
  return {
    _id,
    type: o.type ?? 'demo.count',
    status: o.status ?? 'succeeded',
    priority: o.priority ?? 'normal',
    owner: o.owner,
    ownerEmail: null,
    payload: JSON.stringify(o.payload ?? { to: 1 }),
    result: null,
    error: o.error ?? null,
    attempts: o.attempts ?? (waiting ? 0 : 1),
    maxAttempts: 3,
    attemptBudget: 3,
    timeoutMs: 60_000,
    runAt: queuedAt,
    createdAt: queuedAt,
    updatedAt: end,
    queuedAt,
    publishedAt: queuedAt,
    startedAt,
    finishedAt,
    progress: null,
    leaseToken: null,
    leaseUntil: null,
    workerId: null,
    cancelRequested: false,
    dedupeKey: `id:${_id.toHexString()}`,
    idempotencyKey: null,
    scheduleId: null,
    correlationId: _id.toHexString(),
    traceparent: null,
    batch: null,
  };
}

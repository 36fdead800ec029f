import type { JobResource } from '@conveyor/contracts';
import type { JobDoc } from './job.model.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const parse = (s: string | null) => (s === null ? null : (JSON.parse(s) as unknown));

/** The public job resource (contract) of a stored job. */
export function toJobResource(doc: JobDoc): JobResource {
  return {
    id: doc._id.toHexString(),
    type: doc.type,
    status: doc.status,
    priority: doc.priority,
    attempts: doc.attempts,
    maxAttempts: doc.maxAttempts,
    timeoutMs: doc.timeoutMs,
    runAt: doc.runAt.toISOString(),
    createdAt: doc.createdAt.toISOString(),
    startedAt: iso(doc.startedAt),
    finishedAt: iso(doc.finishedAt),
    queuedAt: iso(doc.queuedAt),
    ...durationsOf(doc),
    progress: doc.progress
      ? {
          percent: doc.progress.percent,
          ...(doc.progress.message ? { message: doc.progress.message } : {}),
        }
      : null,
    payload: parse(doc.payload),
    result: parse(doc.result),
    error: doc.error
      ? { code: doc.error.code, message: doc.error.message, retryable: doc.error.retryable }
      : null,
    owner: doc.owner,
    scheduleId: doc.scheduleId,
    idempotencyKey: doc.idempotencyKey,
  };
}

/**
 * Queue wait and run time of a job's latest attempt. The attempt started after it was queued
 * when `startedAt >= queuedAt` (a retry clears `queuedAt`, a re-queue moves it past the old
 * `startedAt`); it ran until `finishedAt` when it ended from `running`, which is then set.
 */
export function durationsOf(doc: Pick<JobDoc, 'queuedAt' | 'startedAt' | 'finishedAt'>): {
  queueWaitMs: number | null;
  runMs: number | null;
} {
  const { queuedAt, startedAt, finishedAt } = doc;
  if (!queuedAt || !startedAt || startedAt < queuedAt) return { queueWaitMs: null, runMs: null };
  return {
    queueWaitMs: startedAt.getTime() - queuedAt.getTime(),
    runMs:
      finishedAt && finishedAt >= startedAt ? finishedAt.getTime() - startedAt.getTime() : null,
  };
}

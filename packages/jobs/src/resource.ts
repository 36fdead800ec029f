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

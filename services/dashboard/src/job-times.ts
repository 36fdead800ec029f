import type { JobResource } from './api';
import { duration } from './format';

type Times = Pick<JobResource, 'status' | 'queuedAt' | 'startedAt' | 'finishedAt'>;

const ms = (iso: string | null) => (iso ? new Date(iso).getTime() : null);

/**
 * The latest attempt's queue wait and run time as shown: measured ones as durations, one still
 * growing (a queued job's wait, a running job's run) as `… so far`, a dash when there is none.
 * The rule is the API's (`queueWaitMs`, `runMs`), applied to timestamps a live event may have
 * moved since the job was read.
 */
export function jobTimes(j: Times, now = Date.now()): { wait: string; run: string } {
  const queued = ms(j.queuedAt);
  const started = ms(j.startedAt);
  const finished = ms(j.finishedAt);
  if (queued === null) return { wait: '—', run: '—' };
  if (started === null || started < queued)
    return {
      wait: j.status === 'queued' ? `${duration(Math.max(0, now - queued))} so far` : '—',
      run: '—',
    };
  const run =
    finished !== null && finished >= started
      ? duration(finished - started)
      : j.status === 'running'
        ? `${duration(Math.max(0, now - started))} so far`
        : '—';
  return { wait: duration(started - queued), run };
}

/** The timestamps a lifecycle event moves: the new state's, at the event's time. */
export function timesAfter(
  status: JobResource['status'],
  occurredAt: string | undefined,
): Partial<JobResource> {
  if (!occurredAt) return {};
  if (status === 'queued') return { queuedAt: occurredAt };
  if (status === 'scheduled') return { queuedAt: null };
  if (status === 'running') return { startedAt: occurredAt, finishedAt: null };
  return { finishedAt: occurredAt };
}

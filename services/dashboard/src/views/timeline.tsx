import type { JobResource, TimelineItem } from '../api';
import { Status } from '../components/status';
import { dateTime, duration } from '../format';

/** What one lifecycle step means, in words. */
function describe(e: TimelineItem, prev: TimelineItem | undefined): string {
  switch (e.status) {
    case 'scheduled':
      if (e.error && e.runAt) {
        // n.b. the event is sent just after the write, so a tiny backoff can read as negative
        const wait = Math.max(0, new Date(e.runAt).getTime() - new Date(e.occurredAt).getTime());
        return `Attempt ${e.attempt} failed (${e.error.code}: ${e.error.message}); retry in ${duration(wait)}, at ${dateTime(e.runAt)}`;
      }
      return e.runAt ? `Scheduled to run at ${dateTime(e.runAt)}` : 'Scheduled';
    case 'queued':
      return prev?.status === 'scheduled' ? 'Due: queued for a worker' : 'Queued for a worker';
    case 'running':
      return `Attempt ${e.attempt} started${e.workerId ? ` on ${e.workerId}` : ''}`;
    case 'succeeded':
      return `Succeeded on attempt ${e.attempt}`;
    case 'failed':
      return `Failed on attempt ${e.attempt}${e.error ? ` — ${e.error.code}: ${e.error.message}` : ''}${e.error && !e.error.retryable ? ' (not retryable)' : ''}`;
    case 'cancelled':
      return 'Cancelled';
  }
}

/** The job's lifecycle as an ordered list, from its stored events (or its document's dates). */
export function Timeline({ items, job }: { items: TimelineItem[]; job: JobResource }) {
  const shown: TimelineItem[] =
    items.length > 0
      ? items
      : [
          {
            status: 'queued',
            attempt: 0,
            occurredAt: job.createdAt,
            error: null,
            runAt: null,
            workerId: null,
          },
        ];
  return (
    <ol class="timeline" aria-label="Timeline">
      {shown.map((e, i) => (
        <li key={`${e.occurredAt}-${i}`}>
          <time dateTime={e.occurredAt}>{dateTime(e.occurredAt)}</time> <Status status={e.status} />{' '}
          <span>{describe(e, shown[i - 1])}</span>
        </li>
      ))}
    </ol>
  );
}

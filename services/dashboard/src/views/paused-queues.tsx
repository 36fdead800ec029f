import { api, type JobType } from '../api';
import { Notice } from '../components/notice';
import { count, dateTime } from '../format';
import { usePoll } from '../hooks';
import type { Session } from '../session';
import { usePauseAction } from './pause-action';

/** An item of `GET /v1/paused-queues`. */
export interface PausedQueue {
  queue: string;
  pausedAt: string;
  by: string;
  types: string[];
  waiting: number;
}

/**
 * Every queue (worker group) of the catalogue with whether it is paused and, when it is, how
 * many jobs of its types wait; admins pause a queue (fleet-wide, its jobs wait without
 * spending an attempt while other queues run) and resume it.
 */
export function QueuePauses({ session }: { session: Session }) {
  const { data, error, reload } = usePoll(
    () => api<{ items: PausedQueue[] }>('/v1/paused-queues'),
    5_000,
  );
  const types = usePoll(() => api<JobType[]>('/v1/job-types'), 5_000).data ?? [];
  const { notice, act } = usePauseAction(
    (queue) => `/v1/queues/${encodeURIComponent(queue)}/pause`,
    (queue) => `queue ${queue}`,
    reload,
  );
  const paused = new Map((data?.items ?? []).map((p) => [p.queue, p]));
  const groups = new Map<string, string[]>();
  for (const t of types) groups.set(t.queue, [...(groups.get(t.queue) ?? []), t.name]);
  // n.b. a paused queue whose types left the catalogue is still listed, to be resumed
  for (const q of paused.keys()) if (!groups.has(q)) groups.set(q, []);
  const queues = [...groups.keys()].sort();

  return (
    <section class="card" aria-labelledby="queue-pauses-title">
      <h2 id="queue-pauses-title">Worker groups</h2>
      {session.admin && <Notice text={notice?.text ?? null} error={notice?.error ?? false} />}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table data-testid="queue-pauses">
        <caption>
          A paused queue&apos;s jobs stay queued, their attempts unspent, until it is resumed.
        </caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Job types</th>
            <th scope="col">State</th>
            <th scope="col">Paused</th>
            <th scope="col">By</th>
            <th scope="col" class="num">
              Waiting
            </th>
            {session.admin && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => {
            const p = paused.get(q);
            return (
              <tr key={q} data-queue-pause={q}>
                <th scope="row">
                  <code>{q}</code>
                </th>
                <td>{(groups.get(q) ?? []).join(', ') || '—'}</td>
                <td>
                  {p ? (
                    <span class="status status-paused">paused</span>
                  ) : (
                    <span class="status status-succeeded">active</span>
                  )}
                </td>
                <td>{p ? dateTime(p.pausedAt) : '—'}</td>
                <td>{p ? p.by : '—'}</td>
                <td class="num" data-testid="waiting">
                  {p ? count(p.waiting) : '—'}
                </td>
                {session.admin && (
                  <td>
                    {p ? (
                      <button type="button" onClick={() => void act(q, 'DELETE')}>
                        Resume {q}
                      </button>
                    ) : (
                      <button type="button" onClick={() => void act(q, 'POST')}>
                        Pause {q}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

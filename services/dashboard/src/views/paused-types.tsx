import { useState } from 'preact/hooks';
import { api, type JobType } from '../api';
import { Notice } from '../components/notice';
import { count, dateTime } from '../format';
import { usePoll } from '../hooks';
import type { Session } from '../session';
import { usePauseAction } from './pause-action';

interface PausedType {
  type: string;
  pausedAt: string;
  by: string;
  waiting: number;
}

/**
 * Paused job types with how many of their jobs wait; admins pause a type (fleet-wide, its
 * jobs wait without spending an attempt) and resume it.
 */
export function PausedTypes({ session }: { session: Session }) {
  const { data, error, reload } = usePoll(
    () => api<{ items: PausedType[] }>('/v1/paused-types'),
    5_000,
  );
  const types = usePoll(() => api<JobType[]>('/v1/job-types'), 0).data ?? [];
  const [choice, setChoice] = useState('');
  const { notice, act } = usePauseAction(
    (type) => `/v1/job-types/${encodeURIComponent(type)}/pause`,
    (type) => type,
    reload,
  );
  const paused = data?.items ?? [];

  return (
    <section class="card" aria-labelledby="paused-title">
      <h2 id="paused-title">Paused job types</h2>
      {session.admin && (
        <div class="toolbar">
          <label>
            Type to pause{' '}
            <select value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
              <option value="">choose…</option>
              {types
                .filter((t) => !paused.some((p) => p.type === t.name))
                .map((t) => (
                  <option key={t.name}>{t.name}</option>
                ))}
            </select>
          </label>
          <button type="button" disabled={!choice} onClick={() => void act(choice, 'POST')}>
            Pause type
          </button>
          <Notice text={notice?.text ?? null} error={notice?.error ?? false} />
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {paused.length === 0 ? (
        <p class="muted">No job type is paused.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Paused</th>
              <th scope="col">By</th>
              <th scope="col" class="num">
                Waiting
              </th>
              {session.admin && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {paused.map((p) => (
              <tr key={p.type} data-paused-type={p.type}>
                <th scope="row">{p.type}</th>
                <td>{dateTime(p.pausedAt)}</td>
                <td>{p.by}</td>
                <td class="num">{count(p.waiting)}</td>
                {session.admin && (
                  <td>
                    <button type="button" onClick={() => void act(p.type, 'DELETE')}>
                      Resume {p.type}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

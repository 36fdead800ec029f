import { useState } from 'preact/hooks';
import { api, errorText, request, type JobType, type JobTypeLimits } from '../api';
import { Notice } from '../components/notice';
import { count } from '../format';
import { usePoll } from '../hooks';
import type { Session } from '../session';

const rate = (r?: { limit: number; periodMs: number }) =>
  r
    ? `${count(r.limit)} / ${r.periodMs >= 1000 ? `${r.periodMs / 1000} s` : `${r.periodMs} ms`}`
    : null;

/** One line per limit in effect, e.g. "concurrency 20", "per owner: rate 10 / 1 s". */
export function describeLimits(l: JobTypeLimits['effective']): string[] {
  const out: string[] = [];
  const pair = (
    prefix: string,
    p?: { concurrency?: number; rate?: { limit: number; periodMs: number } },
  ) => {
    if (p?.concurrency !== undefined) out.push(`${prefix}concurrency ${p.concurrency}`);
    if (p?.rate) out.push(`${prefix}rate ${rate(p.rate)}`);
  };
  pair('', { concurrency: l.concurrency, rate: l.rate });
  pair('per owner: ', l.perOwner);
  if (l.perKey) pair(`per ${l.perKey.key}: `, l.perKey);
  if (l.fairKey) out.push(`fair by ${l.fairKey}`);
  return out;
}

/**
 * Fleet-wide limits of every job type: what is in effect and where it comes from, jobs
 * running under the type-wide concurrency limit, and jobs waiting because of a limit or for
 * their fair turn. Admins override a type's limits (JSON) or go back to its definition's.
 */
export function TypeLimits({ session }: { session: Session }) {
  const { data, error, reload } = usePoll(() => api<JobType[]>('/v1/job-types'), 5_000);
  const [editing, setEditing] = useState<{ type: string; text: string } | null>(null);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);

  async function save(type: string, how: 'PUT' | 'DELETE', text = '') {
    try {
      await request(`/v1/job-types/${encodeURIComponent(type)}/limits`, {
        method: how,
        ...(how === 'PUT' ? { body: text, headers: { 'content-type': 'application/json' } } : {}),
      });
      setNotice({
        text:
          how === 'PUT'
            ? `Limits of ${type} changed; every worker applies them within a second.`
            : `${type} is back to its definition's limits.`,
      });
      setEditing(null);
      await reload();
    } catch (err) {
      setNotice({ text: errorText(err), error: true });
    }
  }

  const types = data ?? [];
  return (
    <section class="card" aria-labelledby="limits-title">
      <h2 id="limits-title">Limits and fair dispatch</h2>
      {notice && <Notice text={notice.text} error={notice.error} />}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <caption>
          Fleet-wide limits per job type. Running: jobs holding a slot of the type-wide concurrency
          limit. Waiting: held because a concurrency limit is full, or for their turn in fair
          dispatch (the type's queue).
        </caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Limits in effect</th>
            <th scope="col">Source</th>
            <th scope="col" class="num">
              Running / limit
            </th>
            <th scope="col" class="num">
              Waiting (limit)
            </th>
            <th scope="col" class="num">
              Waiting (fair turn)
            </th>
            {session.admin && <th scope="col">Change</th>}
          </tr>
        </thead>
        <tbody>
          {types.map((t) => {
            const l = t.limits;
            const lines = l ? describeLimits(l.effective) : [];
            return (
              <tr key={t.name} data-limits-type={t.name}>
                <th scope="row">{t.name}</th>
                <td>{lines.length ? lines.join('; ') : <span class="muted">none</span>}</td>
                <td>{l?.source ?? '—'}</td>
                <td class="num">
                  {l?.running === null || l?.running === undefined
                    ? '—'
                    : `${count(l.running)} / ${count(l.effective.concurrency ?? 0)}`}
                </td>
                <td class="num">{count(l?.waiting ?? 0)}</td>
                <td class="num">{count(l?.fairWaiting ?? 0)}</td>
                {session.admin && (
                  <td>
                    {editing?.type === t.name ? (
                      <form
                        onSubmit={(e) => {
                          e.preventDefault();
                          void save(t.name, 'PUT', editing.text);
                        }}
                      >
                        <label>
                          Limits of {t.name} (JSON){' '}
                          <textarea
                            rows={3}
                            value={editing.text}
                            onInput={(e) =>
                              setEditing({ type: t.name, text: e.currentTarget.value })
                            }
                          />
                        </label>{' '}
                        <button type="submit">Apply</button>{' '}
                        <button type="button" onClick={() => setEditing(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      <>
                        <button
                          type="button"
                          aria-label={`Edit limits of ${t.name}`}
                          onClick={() =>
                            setEditing({
                              type: t.name,
                              text: JSON.stringify(l?.effective ?? {}),
                            })
                          }
                        >
                          Edit
                        </button>
                        {l?.source === 'override' && (
                          <>
                            {' '}
                            <button
                              type="button"
                              aria-label={`Reset ${t.name}`}
                              onClick={() => void save(t.name, 'DELETE')}
                            >
                              Reset
                            </button>
                          </>
                        )}
                      </>
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

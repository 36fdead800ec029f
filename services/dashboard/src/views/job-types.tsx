import { useState } from 'preact/hooks';
import { api } from '../api';
import { count, duration } from '../format';
import { usePoll } from '../hooks';
import type { Session } from '../session';
import { PausedTypes } from './paused-types';
import { TypeLimits } from './type-limits';

const WINDOWS = [
  ['5m', 'last 5 minutes'],
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['6h', 'last 6 hours'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
] as const;

interface Percentiles {
  p50: number | null;
  p95: number | null;
}

/** One row of `GET /v1/stats/types`. */
export interface JobTypeFigures {
  type: string;
  succeeded: number;
  failed: number;
  cancelled: number;
  throughputPerMinute: number;
  failureRate: number | null;
  retries: number;
  runMs: Percentiles;
  queueWaitMs: Percentiles;
}

interface TypeStats {
  window: string;
  from: string;
  to: string;
  truncated: boolean;
  types: JobTypeFigures[];
}

const percent = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)} %`);

/**
 * Job types: per type over a chosen window, the jobs that ended (by outcome), throughput,
 * failure rate, retries, and p50 / p95 of run time and queue wait. Your own jobs unless admin.
 */
export function JobTypes({ session }: { session: Session }) {
  const [win, setWin] = useState<string>('1h');
  const { data, error } = usePoll(() => api<TypeStats>(`/v1/stats/types?window=${win}`), 10_000, [
    win,
  ]);
  const label = WINDOWS.find(([w]) => w === win)?.[1] ?? win;
  return (
    <section aria-labelledby="types-title">
      <h1 id="types-title">Job types</h1>
      <div class="toolbar">
        <label>
          Window{' '}
          <select value={win} onChange={(e) => setWin(e.currentTarget.value)}>
            {WINDOWS.map(([w, text]) => (
              <option key={w} value={w}>
                {text}
              </option>
            ))}
          </select>
        </label>
        {data?.truncated && (
          <span class="muted">Figures of the newest 100,000 jobs of the window.</span>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <caption>
          {data ? `Jobs that ended in the ${label}, per type. Refreshes every 10 s.` : 'Loading…'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col" class="num">
              Succeeded
            </th>
            <th scope="col" class="num">
              Failed
            </th>
            <th scope="col" class="num">
              Cancelled
            </th>
            <th scope="col" class="num">
              Per minute
            </th>
            <th scope="col" class="num">
              Failure rate
            </th>
            <th scope="col" class="num">
              Retries
            </th>
            <th scope="col" class="num">
              Run p50
            </th>
            <th scope="col" class="num">
              Run p95
            </th>
            <th scope="col" class="num">
              Wait p50
            </th>
            <th scope="col" class="num">
              Wait p95
            </th>
          </tr>
        </thead>
        <tbody>
          {data && data.types.length === 0 && (
            <tr>
              <td colSpan={11} class="muted">
                No job ended in the {label}.
              </td>
            </tr>
          )}
          {data?.types.map((t) => (
            <tr key={t.type} data-type={t.type}>
              <th scope="row">
                <a href={`#/jobs?type=${encodeURIComponent(t.type)}`}>{t.type}</a>
              </th>
              <td class="num">{count(t.succeeded)}</td>
              <td class="num">{count(t.failed)}</td>
              <td class="num">{count(t.cancelled)}</td>
              <td class="num">{t.throughputPerMinute.toFixed(2)}</td>
              <td class="num">{percent(t.failureRate)}</td>
              <td class="num">{count(t.retries)}</td>
              <td class="num">{duration(t.runMs.p50)}</td>
              <td class="num">{duration(t.runMs.p95)}</td>
              <td class="num">{duration(t.queueWaitMs.p50)}</td>
              <td class="num">{duration(t.queueWaitMs.p95)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <TypeLimits session={session} />
      <PausedTypes session={session} />
    </section>
  );
}

import { api, type JobResource, type Overview as OverviewData } from '../api';
import { Status } from '../components/status';
import { ThroughputChart } from '../components/throughput-chart';
import { ago, count, duration } from '../format';
import { usePoll } from '../hooks';

const STATUSES: JobResource['status'][] = [
  'scheduled',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];

function JobList({ jobs, empty, label }: { jobs: JobResource[]; empty: string; label: string }) {
  if (jobs.length === 0) return <p class="muted">{empty}</p>;
  return (
    <ul class="job-list" aria-label={label}>
      {jobs.map((j) => (
        <li key={j.id}>
          <a href={`#/jobs/${j.id}`}>
            <code>{j.id.slice(-8)}</code> {j.type}
          </a>{' '}
          {j.status === 'running' && j.progress ? <span>{j.progress.percent}%</span> : null}
          {j.error ? (
            <span class="muted">
              {' '}
              {j.error.code}: {j.error.message}
            </span>
          ) : null}
          <span class="muted"> · {ago(j.finishedAt ?? j.startedAt ?? j.createdAt)}</span>
        </li>
      ))}
    </ul>
  );
}

/** Jobs per status, the last hour's throughput and failures, lanes, running now, recent failures. */
export function Overview() {
  const { data, error } = usePoll(() => api<OverviewData>('/v1/stats/overview'), 5000);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!data ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <ul class="counts" aria-label="Jobs per status">
            {STATUSES.map((s) => (
              <li key={s} class="card">
                <a href={`#/jobs?status=${s}`} class="count-link">
                  <span class="count" data-testid={`count-${s}`}>
                    {count(data.counts[s])}
                  </span>
                  <Status status={s} />
                </a>
              </li>
            ))}
          </ul>
          <div class="grid2">
            <section class="card" aria-labelledby="throughput-title">
              <h2 id="throughput-title">Last hour</h2>
              <p>
                <strong>{count(data.lastHour.succeeded)}</strong> succeeded,{' '}
                <strong>{count(data.lastHour.failed)}</strong> failed — failure rate{' '}
                <strong>{(data.lastHour.failureRate * 100).toFixed(1)}%</strong>
              </p>
              <ThroughputChart series={data.lastHour.series} />
            </section>
            <section class="card" aria-labelledby="lanes-title">
              <h2 id="lanes-title">Service lanes</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Lane</th>
                    <th scope="col" class="num">
                      Depth
                    </th>
                    <th scope="col" class="num">
                      Consumers
                    </th>
                    <th scope="col" class="num">
                      Oldest queued job
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.lanes.map((l) => (
                    <tr key={l.queue}>
                      <th scope="row">
                        {l.service} · {l.lane}
                      </th>
                      <td class="num">{count(l.messages)}</td>
                      <td class="num">{count(l.consumers)}</td>
                      <td class="num">{l.oldestAgeMs === null ? '—' : duration(l.oldestAgeMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
          <div class="grid2">
            <section class="card" aria-labelledby="running-title">
              <h2 id="running-title">Running now</h2>
              <JobList jobs={data.running} empty="Nothing is running." label="Running jobs" />
            </section>
            <section class="card" aria-labelledby="failures-title">
              <h2 id="failures-title">Recent failures</h2>
              <JobList jobs={data.recentFailures} empty="No failed jobs." label="Recent failures" />
            </section>
          </div>
        </>
      )}
    </section>
  );
}

import { api, type JobResource, type ScheduleResource } from '../api';
import { Status } from '../components/status';
import { dateTime } from '../format';
import { usePoll } from '../hooks';

/** One schedule: its definition, next fire times and recent fires with their jobs. */
export function ScheduleDetail({ id }: { id: string }) {
  const schedule = usePoll(() => api<ScheduleResource>(`/v1/schedules/${id}`), 5000, [id]);
  const fires = usePoll(
    () => api<{ items: JobResource[] }>(`/v1/schedules/${id}/fires?limit=20`),
    5000,
    [id],
  );
  const s = schedule.data;
  return (
    <section aria-labelledby="schedule-title">
      <p>
        <a href="#/schedules">← Schedules</a>
      </p>
      {schedule.error && (
        <p class="error" role="alert">
          {schedule.error}
        </p>
      )}
      {s && (
        <>
          <h1 id="schedule-title">{s.name}</h1>
          <div class="grid2">
            <section class="card" aria-labelledby="def-title">
              <h2 id="def-title">Definition</h2>
              <dl class="facts">
                <dt>Cron</dt>
                <dd>
                  <code>{s.cron}</code> in {s.timezone}
                </dd>
                <dt>Enabled</dt>
                <dd>{s.enabled ? 'yes' : 'no'}</dd>
                {s.job ? (
                  <>
                    <dt>Job</dt>
                    <dd>
                      {s.job.type} ({s.job.priority})
                    </dd>
                  </>
                ) : (
                  <>
                    <dt>Workflow</dt>
                    <dd>
                      {s.workflow?.name ?? 'unnamed'} ({s.workflow?.policy})
                      {s.lastWorkflowId ? (
                        <>
                          {' '}
                          · latest:{' '}
                          <a href={`#/workflows/${s.lastWorkflowId}`}>{s.lastWorkflowId}</a>
                        </>
                      ) : null}
                    </dd>
                  </>
                )}
                <dt>Misfires</dt>
                <dd>{s.misfirePolicy}</dd>
                <dt>Overlap</dt>
                <dd>{s.overlapPolicy}</dd>
              </dl>
            </section>
            <section class="card" aria-labelledby="next-title">
              <h2 id="next-title">Next fire times</h2>
              {!s.enabled ? (
                <p class="muted">Disabled: it fires again once it is enabled.</p>
              ) : s.nextFireTimes.length === 0 ? (
                <p class="muted">No fire is due: the expression has no future time.</p>
              ) : (
                <ol class="fires">
                  {s.nextFireTimes.map((t) => (
                    <li key={t}>{dateTime(t)}</li>
                  ))}
                </ol>
              )}
            </section>
          </div>
        </>
      )}
      <section class="card" aria-labelledby="fires-title">
        <h2 id="fires-title">Recent fires</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Fired</th>
              <th scope="col">Job</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {(fires.data?.items ?? []).map((j) => (
              <tr key={j.id}>
                <td>{dateTime(j.createdAt)}</td>
                <td>
                  <a href={`#/jobs/${j.id}`}>
                    <code>{j.id}</code>
                  </a>
                </td>
                <td>
                  <Status status={j.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}

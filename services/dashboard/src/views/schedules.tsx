import { useState } from 'preact/hooks';
import { api, send, type JobResource, type Page, type ScheduleResource, errorText } from '../api';
import { Notice } from '../components/notice';
import { dateTime } from '../format';
import { usePoll } from '../hooks';
import { ScheduleForm } from './schedule-form';

/** Schedules: next fires, enable / disable, trigger now, create and edit (with a live preview). */
export function Schedules() {
  const { data, error, reload } = usePoll(
    () => api<Page<ScheduleResource>>('/v1/schedules?limit=100'),
    10_000,
  );
  const [form, setForm] = useState<{ editing: ScheduleResource | null } | null>(null);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);

  async function run(label: string, fn: () => Promise<unknown>) {
    try {
      await fn();
      setNotice({ text: label });
      await reload();
    } catch (err) {
      setNotice({
        text: errorText(err),
        error: true,
      });
    }
  }

  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Schedules</h1>
      <div class="toolbar">
        <button type="button" onClick={() => setForm({ editing: null })}>
          New schedule
        </button>
        <Notice text={notice?.text ?? null} error={notice?.error ?? false} />
      </div>
      {form && (
        <ScheduleForm
          key={form.editing?.id ?? 'new'}
          editing={form.editing}
          onCancel={() => setForm(null)}
          onSaved={(s) => {
            setForm(null);
            setNotice({ text: `Saved ${s.name}.` });
            void reload();
          }}
        />
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <caption>{data ? `${data.items.length} schedules` : 'Loading…'}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Cron</th>
            <th scope="col">Zone</th>
            <th scope="col">Submits</th>
            <th scope="col">Next fires</th>
            <th scope="col">Last fire</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((s) => (
            <tr key={s.id}>
              <th scope="row">
                <a href={`#/schedules/${s.id}`}>{s.name}</a>
              </th>
              <td>
                <code>{s.cron}</code>
              </td>
              <td>{s.timezone}</td>
              <td>{s.job ? s.job.type : `workflow ${s.workflow?.name ?? ''}`.trim()}</td>
              <td>
                {s.enabled ? s.nextFireTimes.slice(0, 2).map(dateTime).join(', ') : 'disabled'}
              </td>
              <td>
                {s.lastJobId ? (
                  <a href={`#/jobs/${s.lastJobId}`}>{dateTime(s.lastFireAt)}</a>
                ) : (
                  dateTime(s.lastFireAt)
                )}
              </td>
              <td class="actions">
                <button
                  type="button"
                  aria-label={`${s.enabled ? 'Disable' : 'Enable'} ${s.name}`}
                  onClick={() =>
                    void run(`${s.enabled ? 'Disabled' : 'Enabled'} ${s.name}.`, () =>
                      send('PATCH', `/v1/schedules/${s.id}`, { enabled: !s.enabled }),
                    )
                  }
                >
                  {s.enabled ? 'Disable' : 'Enable'}
                </button>
                <button
                  type="button"
                  aria-label={`Trigger now ${s.name}`}
                  onClick={() =>
                    void run(`Triggered ${s.name}.`, () =>
                      send<JobResource>('POST', `/v1/schedules/${s.id}/trigger`),
                    )
                  }
                >
                  Trigger now
                </button>
                <button
                  type="button"
                  aria-label={`Edit ${s.name}`}
                  onClick={() => setForm({ editing: s })}
                >
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

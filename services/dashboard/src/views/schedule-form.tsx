import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, send, withQuery, type ScheduleResource, errorText } from '../api';
import { dateTime } from '../format';

interface Preview {
  next: string[];
}

/** Create or edit a schedule, with the next fire times of the typed cron and zone, live. */
export function ScheduleForm({
  editing,
  onSaved,
  onCancel,
}: {
  editing: ScheduleResource | null;
  onSaved: (s: ScheduleResource) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(editing?.name ?? '');
  const [cron, setCron] = useState(editing?.cron ?? '*/30 * * * * *');
  const [timezone, setTimezone] = useState(
    editing?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
  );
  const [kind, setKind] = useState<'job' | 'workflow'>(editing?.workflow ? 'workflow' : 'job');
  const [type, setType] = useState(editing?.job?.type ?? 'demo.count');
  const [payload, setPayload] = useState(
    JSON.stringify(editing?.job?.payload ?? { to: 3 }, null, 2),
  );
  const [workflow, setWorkflow] = useState(
    JSON.stringify(
      editing?.workflow
        ? {
            ...(editing.workflow.name ? { name: editing.workflow.name } : {}),
            policy: editing.workflow.policy,
            workflow: editing.workflow.workflow,
          }
        : { workflow: { chain: [{ type: 'demo.count', payload: { to: 3 } }] } },
      null,
      2,
    ),
  );
  const [enabled, setEnabled] = useState(editing?.enabled ?? true);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const t = setTimeout(() => {
      api<Preview>(withQuery('/v1/cron/preview', { cron, timezone, count: 5 }))
        .then((p) => {
          setPreview(p);
          setPreviewError(null);
        })
        .catch((err: unknown) => {
          setPreview(null);
          setPreviewError(
            err instanceof ApiError
              ? err.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || err.summary
              : String(err),
          );
        });
    }, 250);
    return () => clearTimeout(t);
  }, [cron, timezone]);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(kind === 'job' ? payload : workflow);
    } catch {
      setError(`The ${kind === 'job' ? 'job payload' : 'workflow'} is not valid JSON.`);
      return;
    }
    const body = {
      name,
      cron,
      timezone,
      enabled,
      ...(kind === 'job' ? { job: { type, payload: parsed } } : { workflow: parsed }),
    };
    try {
      const saved = editing
        ? await send<ScheduleResource>('PATCH', `/v1/schedules/${editing.id}`, body)
        : await send<ScheduleResource>('POST', '/v1/schedules', body);
      onSaved(saved);
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <form class="card form-grid" onSubmit={submit} aria-labelledby="schedule-form-title">
      <h2 id="schedule-form-title" class="span2">
        {editing ? `Edit ${editing.name}` : 'New schedule'}
      </h2>
      <label for="s-name">Name</label>
      <input
        id="s-name"
        required
        value={name}
        onInput={(e) => setName((e.target as HTMLInputElement).value)}
      />
      <label for="s-cron">Cron (5 fields, or 6 with seconds first)</label>
      <input
        id="s-cron"
        required
        spellcheck={false}
        value={cron}
        onInput={(e) => setCron((e.target as HTMLInputElement).value)}
      />
      <label for="s-tz">Time zone (IANA)</label>
      <input
        id="s-tz"
        required
        value={timezone}
        onInput={(e) => setTimezone((e.target as HTMLInputElement).value)}
      />
      <span>
        Next fire times{' '}
        <span class="muted">(your time: {Intl.DateTimeFormat().resolvedOptions().timeZone})</span>
      </span>
      <div aria-live="polite" data-testid="cron-preview">
        {previewError ? (
          <p class="error">{previewError}</p>
        ) : preview ? (
          <ol class="fires">
            {preview.next.map((t) => (
              <li key={t}>
                <time dateTime={t}>{dateTime(t)}</time>
              </li>
            ))}
          </ol>
        ) : (
          <p class="muted">…</p>
        )}
      </div>
      <label for="s-kind">Submits</label>
      <select
        id="s-kind"
        value={kind}
        onChange={(e) => setKind((e.target as HTMLSelectElement).value as 'job' | 'workflow')}
      >
        <option value="job">a job</option>
        <option value="workflow">a workflow</option>
      </select>
      {kind === 'job' ? (
        <>
          <label for="s-type">Job type</label>
          <input
            id="s-type"
            required
            value={type}
            onInput={(e) => setType((e.target as HTMLInputElement).value)}
          />
          <label for="s-payload">Job payload (JSON)</label>
          <textarea
            id="s-payload"
            rows={4}
            spellcheck={false}
            value={payload}
            onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)}
          />
        </>
      ) : (
        <>
          <label for="s-workflow">Workflow (JSON, as POST /v1/workflows takes it)</label>
          <textarea
            id="s-workflow"
            rows={8}
            spellcheck={false}
            value={workflow}
            onInput={(e) => setWorkflow((e.target as HTMLTextAreaElement).value)}
          />
        </>
      )}
      <span />
      <label class="inline">
        <input type="checkbox" checked={enabled} onChange={() => setEnabled(!enabled)} /> Enabled
      </label>
      <span />
      <div>
        <button type="submit">{editing ? 'Save schedule' : 'Create schedule'}</button>{' '}
        <button type="button" class="secondary" onClick={onCancel}>
          Close
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </div>
    </form>
  );
}

import { useState } from 'preact/hooks';
import { send, type JobResource, type JobType, errorText } from '../api';
import { go } from '../route';

/** Example payloads for the submit form, by job type. */
const EXAMPLES: Record<string, unknown> = {
  'demo.count': { to: 20, delayMs: 250 },
  'email.send': {
    to: ['ann@example.com'],
    subject: 'Hello',
    text: 'Sent from the Conveyor dashboard.',
  },
  'email.template': { to: 'ann@example.com', template: 'welcome', data: { name: 'Ann' } },
  'data.process': {
    source: {
      records: [
        { city: 'Berlin', n: '2' },
        { city: 'Paris', n: '3' },
      ],
    },
    steps: [{ op: 'sort', by: [{ field: 'n', dir: 'desc' }] }],
    output: { format: 'csv' },
  },
};

/** Submits a job from a type and a JSON payload, then opens it. */
export function SubmitJob({ types }: { types: JobType[] }) {
  const [type, setType] = useState('demo.count');
  const [payload, setPayload] = useState(JSON.stringify(EXAMPLES['demo.count'], null, 2));
  const [priority, setPriority] = useState('normal');
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      setError('The payload is not valid JSON.');
      return;
    }
    try {
      const job = await send<JobResource>('POST', '/v1/jobs', { type, payload: parsed, priority });
      go(`/jobs/${job.id}`);
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <details class="card">
      <summary>Submit a job</summary>
      <form onSubmit={submit} class="form-grid">
        <label for="submit-type">Type</label>
        <select
          id="submit-type"
          value={type}
          onChange={(e) => {
            const t = (e.target as HTMLSelectElement).value;
            setType(t);
            if (EXAMPLES[t]) setPayload(JSON.stringify(EXAMPLES[t], null, 2));
          }}
        >
          {types.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        <label for="submit-priority">Priority</label>
        <select
          id="submit-priority"
          value={priority}
          onChange={(e) => setPriority((e.target as HTMLSelectElement).value)}
        >
          {['low', 'normal', 'high', 'urgent'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <label for="submit-payload">Payload (JSON)</label>
        <textarea
          id="submit-payload"
          rows={6}
          spellcheck={false}
          value={payload}
          onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)}
        />
        <span />
        <div>
          <button type="submit">Submit job</button>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </div>
      </form>
    </details>
  );
}

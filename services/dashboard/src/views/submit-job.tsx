import { useEffect, useState } from 'preact/hooks';
import { send, type JobResource, type JobType, errorText } from '../api';
import { go } from '../route';

/** The payload the form starts from: the type's first example in the catalogue, or `{}`. */
const exampleOf = (types: JobType[], name: string) =>
  JSON.stringify(types.find((t) => t.name === name)?.examples?.[0] ?? {}, null, 2);

/** Submits a job from a type and a JSON payload, then opens it. */
export function SubmitJob({ types }: { types: JobType[] }) {
  const [type, setType] = useState('demo.count');
  const [payload, setPayload] = useState(exampleOf(types, 'demo.count'));
  const [edited, setEdited] = useState(false);
  // n.b. the catalogue may arrive after the form: start from its example until edited
  useEffect(() => {
    if (!edited) setPayload(exampleOf(types, type));
  }, [types]);
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
            setEdited(false);
            setPayload(exampleOf(types, t));
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
          onInput={(e) => {
            setEdited(true);
            setPayload((e.target as HTMLTextAreaElement).value);
          }}
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

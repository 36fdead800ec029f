import { dateTime } from '../format';

/** One entry of `GET /v1/jobs/:id/attempts`. */
export interface AttemptLog {
  attempt: number;
  lines: { at: string; level: string; msg: string; fields?: string }[];
  dropped: number;
  error: { name: string; message: string; stack: string | null } | null;
  createdAt: string;
}

/**
 * Per attempt, what the handler logged through `ctx.log` and the stack of the error that
 * ended it. Attempts that logged nothing and did not fail are not listed.
 */
export function AttemptLogs({ attempts }: { attempts: AttemptLog[] }) {
  if (attempts.length === 0)
    return <p class="muted">No attempt has logged anything or failed yet.</p>;
  return (
    <>
      {attempts.map((a) => (
        <section key={a.attempt} class="attempt" aria-labelledby={`attempt-${a.attempt}`}>
          <h3 id={`attempt-${a.attempt}`}>Attempt {a.attempt}</h3>
          {a.lines.length > 0 && (
            <ol class="log-lines" aria-label={`Log of attempt ${a.attempt}`}>
              {a.lines.map((l, i) => (
                <li key={i} class={`log-${l.level}`}>
                  <span class="muted">{dateTime(l.at)}</span> <strong>{l.level}</strong> {l.msg}
                  {l.fields && <code class="log-fields"> {l.fields}</code>}
                </li>
              ))}
            </ol>
          )}
          {a.dropped > 0 && (
            <p class="muted">{a.dropped} more lines were logged but not kept (size limit).</p>
          )}
          {a.error && (
            <pre class="json stack" tabIndex={0} aria-label={`Error of attempt ${a.attempt}`}>
              {a.error.stack ?? `${a.error.name}: ${a.error.message}`}
            </pre>
          )}
        </section>
      ))}
    </>
  );
}

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, withQuery, type Page, type WorkflowResource, errorText } from '../api';
import { Notice } from '../components/notice';
import { Pager } from '../components/pager';
import { workflowLabel } from '../workflow-label';
import { Status } from '../components/status';
import { ago, dateTime } from '../format';
import type { Session } from '../session';
import { follow } from '../sse';

const STATUSES: WorkflowResource['status'][] = ['running', 'succeeded', 'failed', 'cancelled'];
const PAGE = 20;

/** Job steps per state, in words: `2 succeeded, 1 created`. */
const countsText = (counts: WorkflowResource['counts']) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ') || '—';

/**
 * The workflows table (the caller's own; an admin sees everyone's): a status filter, cursor
 * paging (a stack of cursors for "Previous"), newest first; workflow events re-read the page.
 */
export function Workflows({ session, query }: { session: Session; query: URLSearchParams }) {
  const [status, setStatus] = useState(query.get('status') ?? '');
  const [applied, setApplied] = useState(status);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<Page<WorkflowResource> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const cursor = cursors.at(-1);
  const path = useMemo(
    () => withQuery('/v1/workflows', { status: applied, limit: PAGE, cursor }),
    [applied, cursor],
  );

  async function load() {
    try {
      setPage(await api<Page<WorkflowResource>>(path));
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }

  useEffect(() => {
    void load();
    const ctl = new AbortController();
    void follow(
      '/v1/events',
      ({ event }) => {
        if (!event.startsWith('workflow.')) return;
        if (timer.current) clearTimeout(timer.current);
        timer.current = setTimeout(() => void load(), 300);
      },
      ctl.signal,
    );
    return () => {
      ctl.abort();
      if (timer.current) clearTimeout(timer.current);
    };
  }, [path]);

  const items = page?.items ?? [];
  return (
    <section aria-labelledby="workflows-title">
      <h1 id="workflows-title">Workflows</h1>
      <p class="muted">
        Chains, groups and chords of jobs, submitted with <code>POST /v1/workflows</code> or by a
        schedule.
      </p>
      <form
        class="filters card"
        aria-label="Filter workflows"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([undefined]);
          setApplied(status);
        }}
      >
        <div>
          <label for="wf-status">Status</label>
          <select
            id="wf-status"
            value={status}
            onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div class="end">
          <button type="submit">Apply filter</button>
        </div>
      </form>
      {error && <Notice text={error} error />}
      <table class="workflows" aria-describedby="workflows-caption">
        <caption id="workflows-caption">
          {page
            ? `${items.length} ${items.length === 1 ? 'workflow' : 'workflows'} on this page, newest first. Updates live.`
            : 'Loading…'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Workflow</th>
            <th scope="col">Status</th>
            <th scope="col">Policy</th>
            <th scope="col">Job steps</th>
            {session.admin && <th scope="col">Owner</th>}
            <th scope="col">Created</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {items.map((w) => (
            <tr key={w.id} data-workflow-id={w.id}>
              <td>
                <a href={`#/workflows/${w.id}`}>
                  {workflowLabel(w)} <code>{w.id}</code>
                </a>
              </td>
              <td>
                <Status status={w.status} />
              </td>
              <td>{w.policy}</td>
              <td>{countsText(w.counts)}</td>
              {session.admin && <td>{w.owner}</td>}
              <td>{ago(w.createdAt)}</td>
              <td>{dateTime(w.finishedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager cursors={cursors} setCursors={setCursors} nextCursor={page?.nextCursor} />
    </section>
  );
}

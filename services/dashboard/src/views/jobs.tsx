import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  api,
  request,
  withQuery,
  type JobResource,
  type JobType,
  type Page,
  errorText,
} from '../api';
import { Notice } from '../components/notice';
import { Pager } from '../components/pager';
import { Status } from '../components/status';
import { ago, localToIso } from '../format';
import { jobTimes, timesAfter } from '../job-times';
import { follow } from '../sse';
import type { Session } from '../session';
import { SubmitJob } from './submit-job';

const STATUSES = ['scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

interface Filters {
  status: string;
  type: string;
  owner: string;
  from: string;
  to: string;
  q: string;
  /** Payload search: a path and its value, and/or words. */
  field: string;
  value: string;
  text: string;
}

interface LifecycleData {
  jobId: string;
  status: JobResource['status'];
  attempt: number;
  occurredAt?: string;
  error?: JobResource['error'];
}
interface ProgressData {
  jobId: string;
  progress: { percent: number; message?: string };
}

function initialFilters(query: URLSearchParams): Filters {
  return {
    status: query.get('status') ?? '',
    type: query.get('type') ?? '',
    owner: '',
    from: '',
    to: '',
    q: '',
    field: query.get('field') ?? '',
    value: query.get('value') ?? '',
    text: query.get('text') ?? '',
  };
}

/** The applied payload search as query or filter fields (a path without a value: the API's 400 says so). */
function payloadSearch(f: Filters): { field?: string; value?: string; text?: string } {
  const field = f.field.trim();
  const value = f.value.trim();
  const text = f.text.trim();
  return {
    ...(field ? { field } : {}),
    ...(value ? { value } : {}),
    ...(text ? { text } : {}),
  };
}

/** The searchable payload paths to suggest: the chosen type's, or every type's. */
function searchPaths(types: JobType[], type: string): string[] {
  const chosen = types.filter((t) => !type || t.name === type);
  return [...new Set(chosen.flatMap((t) => t.search ?? []))].sort();
}

/**
 * The jobs table: filters, cursor paging (a stack of cursors for "Previous"), live updates from
 * `/v1/events` (rows change in place; new jobs appear on the first page), bulk retry / cancel.
 */
export function Jobs({ session, query }: { session: Session; query: URLSearchParams }) {
  const [filters, setFilters] = useState<Filters>(() => initialFilters(query));
  const [applied, setApplied] = useState<Filters>(filters);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<Page<JobResource> | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [types, setTypes] = useState<JobType[]>([]);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);
  const [confirm, setConfirm] = useState<{ action: 'retry' | 'cancel'; matched: number } | null>(
    null,
  );
  const cursor = cursors.at(-1);
  const [now, setNow] = useState(Date.now());
  const ticking = (page?.items ?? []).some((j) => j.status === 'queued' || j.status === 'running');
  useEffect(() => {
    if (!ticking) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // Latest live change per job, numbered in arrival order (see load()).
  const seq = useRef(0);
  const seen = useRef(new Map<string, { n: number; patch: Partial<JobResource> }>());
  const shown = useRef(new Set<string>());
  shown.current = new Set((page?.items ?? []).map((j) => j.id));

  function remember(jobId: string, patch: Partial<JobResource>): void {
    const prev = seen.current.get(jobId)?.patch ?? {};
    seen.current.set(jobId, { n: ++seq.current, patch: { ...prev, ...patch } });
    if (seen.current.size > 500) seen.current.delete(seen.current.keys().next().value!);
  }
  function overlay(j: JobResource, since: number): JobResource {
    const s = seen.current.get(j.id);
    return s && s.n > since ? { ...j, ...s.patch } : j;
  }

  const path = useMemo(
    () =>
      withQuery('/v1/jobs/search', {
        status: applied.status,
        type: applied.type,
        owner: session.admin ? applied.owner : undefined,
        from: localToIso(applied.from),
        to: localToIso(applied.to),
        q: applied.q.trim(),
        ...payloadSearch(applied),
        limit: 25,
        cursor,
      }),
    [applied, cursor, session.admin],
  );

  async function load() {
    const since = seq.current;
    try {
      const fetched = await api<Page<JobResource>>(path);
      // n.b. events that arrived while the page was read may be newer than it: apply them
      setPage({ ...fetched, items: fetched.items.map((j) => overlay(j, since)) });
    } catch (err) {
      setNotice({
        text: errorText(err),
        error: true,
      });
    }
  }

  useEffect(() => {
    void load();
  }, [path]);

  useEffect(() => {
    void api<JobType[]>('/v1/job-types').then(setTypes, () => undefined);
  }, []);

  // The latest load and cursor, for the event stream below (opened once, not per filter).
  const loadRef = useRef(load);
  loadRef.current = load;
  const cursorRef = useRef(cursor);
  cursorRef.current = cursor;

  // Live updates: patch rows in place; a job we do not show yet reloads the first page.
  // n.b. one stream for the page's life: reopening it on every filter change would miss the
  // events of a job that runs while it reconnects
  useEffect(() => {
    const ctl = new AbortController();
    void follow(
      '/v1/events',
      ({ event, data }) => {
        if (event === 'lifecycle') {
          const d = data as LifecycleData;
          const patch: Partial<JobResource> = {
            status: d.status,
            attempts: d.attempt,
            ...(d.error ? { error: d.error } : {}),
            ...timesAfter(d.status, d.occurredAt),
          };
          remember(d.jobId, patch);
          setPage((p) =>
            p
              ? { ...p, items: p.items.map((j) => (j.id === d.jobId ? { ...j, ...patch } : j)) }
              : p,
          );
          if (!shown.current.has(d.jobId) && cursorRef.current === undefined) {
            if (refetchTimer.current) clearTimeout(refetchTimer.current);
            refetchTimer.current = setTimeout(() => void loadRef.current(), 400);
          }
        } else if (event === 'progress') {
          const d = data as ProgressData;
          remember(d.jobId, { progress: d.progress });
          setPage((p) =>
            p
              ? {
                  ...p,
                  items: p.items.map((j) =>
                    j.id === d.jobId ? { ...j, progress: d.progress } : j,
                  ),
                }
              : p,
          );
        }
      },
      ctl.signal,
    );
    return () => ctl.abort();
  }, []);

  function apply(e: Event) {
    e.preventDefault();
    setCursors([undefined]);
    setSelected(new Set());
    setApplied(filters);
  }

  async function bulk(action: 'retry' | 'cancel') {
    const ids = [...selected];
    const results = await Promise.allSettled(
      ids.map((id) => request(`/v1/jobs/${id}/${action}`, { method: 'POST' })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.length - ok;
    const verb = action === 'retry' ? 'retried' : 'cancelled';
    setNotice({
      text: `${ok} ${ok === 1 ? 'job' : 'jobs'} ${verb}${refused ? `, ${refused} refused (not in a state that allows it)` : ''}.`,
      error: refused > 0 && ok === 0,
    });
    setSelected(new Set());
    void load();
  }

  /** The applied filters as `POST /v1/jobs/bulk` takes them. */
  function bulkFilter(): Record<string, string> {
    const f: Record<string, string | undefined> = {
      status: applied.status || undefined,
      type: applied.type || undefined,
      owner: session.admin ? applied.owner.trim() || undefined : undefined,
      from: localToIso(applied.from),
      to: localToIso(applied.to),
      q: applied.q.trim() || undefined,
      ...payloadSearch(applied),
    };
    return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
  }

  async function countMatching(action: 'retry' | 'cancel') {
    try {
      const res = await request('/v1/jobs/bulk', {
        method: 'POST',
        body: JSON.stringify({ action, filter: bulkFilter(), dryRun: true }),
      });
      const { matched } = (await res.json()) as { matched: number };
      setConfirm({ action, matched });
    } catch (err) {
      setNotice({ text: errorText(err), error: true });
    }
  }

  async function runMatching(action: 'retry' | 'cancel', expected: number) {
    setConfirm(null);
    try {
      const res = await request('/v1/jobs/bulk', {
        method: 'POST',
        body: JSON.stringify({ action, filter: bulkFilter(), expected }),
      });
      const r = (await res.json()) as { done: number; skipped: number };
      const verb = action === 'retry' ? 'Retried' : 'Cancelled';
      setNotice({
        text: `${verb} ${r.done} ${r.done === 1 ? 'job' : 'jobs'}${r.skipped ? `; ${r.skipped} skipped (they had moved on)` : ''}.`,
      });
      void load();
    } catch (err) {
      setNotice({ text: errorText(err), error: true });
    }
  }

  const field = (k: keyof Filters) => ({
    value: filters[k],
    onInput: (e: Event) => setFilters({ ...filters, [k]: (e.target as HTMLInputElement).value }),
  });
  const items = page?.items ?? [];
  const allChecked = items.length > 0 && items.every((j) => selected.has(j.id));

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <SubmitJob types={types} />
      <form class="filters card" onSubmit={apply} aria-label="Filter jobs">
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" {...field('status')} onChange={field('status').onInput}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-type">Type</label>
          <select id="f-type" {...field('type')} onChange={field('type').onInput}>
            <option value="">any</option>
            {types.map((t) => (
              <option key={t.name}>{t.name}</option>
            ))}
          </select>
        </div>
        {session.admin && (
          <div>
            <label for="f-owner">Owner</label>
            <input id="f-owner" type="text" placeholder="any owner" {...field('owner')} />
          </div>
        )}
        <div>
          <label for="f-from">Created from</label>
          <input id="f-from" type="datetime-local" {...field('from')} />
        </div>
        <div>
          <label for="f-to">Created to</label>
          <input id="f-to" type="datetime-local" {...field('to')} />
        </div>
        <div class="grow">
          <label for="f-q">Search id, error or idempotency key</label>
          <input id="f-q" type="search" {...field('q')} />
        </div>
        <fieldset class="payload-search">
          <legend>Payload</legend>
          <div>
            <label for="f-field">Field</label>
            <input
              id="f-field"
              type="text"
              list="f-field-paths"
              placeholder="e.g. to"
              autocomplete="off"
              spellcheck={false}
              {...field('field')}
            />
            <datalist id="f-field-paths">
              {searchPaths(types, filters.type).map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>
          </div>
          <div>
            <label for="f-value">equals</label>
            <input id="f-value" type="text" placeholder="value" {...field('value')} />
          </div>
          <div class="grow">
            <label for="f-text">or has the words</label>
            <input id="f-text" type="search" placeholder="words in its fields" {...field('text')} />
          </div>
        </fieldset>
        <div class="end">
          <button type="submit">Apply filters</button>
        </div>
      </form>

      <div class="toolbar">
        <button type="button" disabled={selected.size === 0} onClick={() => void bulk('retry')}>
          Retry selected ({selected.size})
        </button>
        <button type="button" disabled={selected.size === 0} onClick={() => void bulk('cancel')}>
          Cancel selected ({selected.size})
        </button>
        <button type="button" class="secondary" onClick={() => void countMatching('retry')}>
          Retry all matching…
        </button>
        <button type="button" class="secondary" onClick={() => void countMatching('cancel')}>
          Cancel all matching…
        </button>
        <Notice text={notice?.text ?? null} error={notice?.error ?? false} />
      </div>

      {confirm && (
        <div class="card confirm" role="alertdialog" aria-labelledby="bulk-confirm-text">
          <p id="bulk-confirm-text">
            {confirm.matched === 0
              ? `No ${confirm.action === 'retry' ? 'failed' : 'waiting'} job matches these filters.`
              : `${confirm.matched} ${confirm.matched === 1 ? 'job matches' : 'jobs match'} these filters${
                  applied.status
                    ? ''
                    : confirm.action === 'retry'
                      ? ' (failed ones)'
                      : ' (queued and scheduled ones)'
                }. ${confirm.action === 'retry' ? 'Retry' : 'Cancel'} ${confirm.matched === 1 ? 'it' : 'all of them'}?`}
          </p>
          {confirm.matched > 0 && (
            <button
              type="button"
              class={confirm.action === 'cancel' ? 'danger' : undefined}
              onClick={() => void runMatching(confirm.action, confirm.matched)}
            >
              {confirm.action === 'retry' ? 'Retry' : 'Cancel'} {confirm.matched}{' '}
              {confirm.matched === 1 ? 'job' : 'jobs'}
            </button>
          )}{' '}
          <button type="button" class="secondary" onClick={() => setConfirm(null)}>
            {confirm.matched > 0 ? 'Keep them' : 'Close'}
          </button>
        </div>
      )}

      <table class="jobs" aria-describedby="jobs-caption">
        <caption id="jobs-caption">
          {page
            ? `${items.length} ${items.length === 1 ? 'job' : 'jobs'} on this page, newest first. Updates live.`
            : 'Loading…'}
        </caption>
        <thead>
          <tr>
            <th scope="col">
              <input
                type="checkbox"
                aria-label="Select all jobs on this page"
                checked={allChecked}
                onChange={() =>
                  setSelected(allChecked ? new Set() : new Set(items.map((j) => j.id)))
                }
              />
            </th>
            <th scope="col">Job</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col" class="num">
              Queue wait
            </th>
            <th scope="col" class="num">
              Run time
            </th>
            {session.admin && <th scope="col">Owner</th>}
            <th scope="col">Created</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {items.map((j) => (
            <tr key={j.id} data-job-id={j.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select job ${j.id}`}
                  checked={selected.has(j.id)}
                  onChange={() => {
                    const next = new Set(selected);
                    if (next.has(j.id)) next.delete(j.id);
                    else next.add(j.id);
                    setSelected(next);
                  }}
                />
              </td>
              <td>
                <a href={`#/jobs/${j.id}`}>
                  <code>{j.id}</code>
                </a>
              </td>
              <td>{j.type}</td>
              <td>
                <Status status={j.status} />
              </td>
              <td>
                {j.progress ? (
                  <progress
                    max={100}
                    value={j.progress.percent}
                    aria-label={`Progress of job ${j.id}`}
                  >
                    {j.progress.percent}%
                  </progress>
                ) : (
                  '—'
                )}
              </td>
              <td class="num">
                {j.attempts}/{j.maxAttempts}
              </td>
              <td class="num">{jobTimes(j, now).wait}</td>
              <td class="num">{jobTimes(j, now).run}</td>
              {session.admin && <td>{j.owner}</td>}
              <td>{ago(j.createdAt)}</td>
              <td class="error-cell">
                {j.error && (
                  <span class="clamp" title={`${j.error.code}: ${j.error.message}`}>
                    {j.error.code}: {j.error.message}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager cursors={cursors} setCursors={setCursors} nextCursor={page?.nextCursor} />
    </section>
  );
}

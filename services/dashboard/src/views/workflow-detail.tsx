import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, send, type JobResource, type WorkflowResource, errorText } from '../api';
import { Notice } from '../components/notice';
import { workflowLabel } from '../workflow-label';
import { Status } from '../components/status';
import { WorkflowGraph } from '../components/workflow-graph';
import { dateTime } from '../format';
import { follow } from '../sse';

/** Job statuses remembered from live events (the owner's jobs, oldest forgotten first). */
const REMEMBERED = 2000;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * One workflow: its graph of steps (live), status, policy, timestamps, Cancel and Retry.
 * Live: job lifecycle events tell a step's job running; the workflow is read again when one of
 * its jobs finishes or its own workflow event arrives, at most once a second for other jobs'
 * events while it runs (one of them may be a step's new job), and every 5 s regardless.
 */
export function WorkflowDetail({ id }: { id: string }) {
  const [wf, setWf] = useState<WorkflowResource | null>(null);
  const [jobStatus, setJobStatus] = useState<ReadonlyMap<string, string>>(new Map());
  const [missing, setMissing] = useState(false);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const statuses = useRef(new Map<string, string>());
  const ours = useRef(new Set<string>());
  const running = useRef(false);

  function remember(jobId: string, status: string) {
    statuses.current.delete(jobId);
    statuses.current.set(jobId, status);
    if (statuses.current.size > REMEMBERED)
      statuses.current.delete(statuses.current.keys().next().value!);
    setJobStatus(new Map(statuses.current));
  }

  async function reload() {
    try {
      const w = await api<WorkflowResource>(`/v1/workflows/${id}`);
      ours.current = new Set(w.steps.flatMap((s) => (s.jobId ? [s.jobId] : [])));
      running.current = w.status === 'running';
      // n.b. only jobs not heard of yet are read: the stream tells the rest
      const unknown = w.steps.filter(
        (s) => s.state === 'created' && s.jobId && !statuses.current.has(s.jobId),
      );
      const reads = await Promise.allSettled(
        unknown.slice(0, 50).map((s) => api<JobResource>(`/v1/jobs/${s.jobId}`)),
      );
      for (const r of reads) if (r.status === 'fulfilled') remember(r.value.id, r.value.status);
      setWf(w);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setMissing(true);
      else setNotice({ text: (err as Error).message, error: true });
    }
  }
  /** Reads the workflow in `ms` unless a read is already due. */
  const soon = (ms = 250) => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void reload();
    }, ms);
  };

  useEffect(() => {
    setWf(null);
    setMissing(false);
    statuses.current.clear();
    void reload();
    const ctl = new AbortController();
    void follow(
      '/v1/events',
      ({ event, data }) => {
        const d = data as { workflowId?: string; jobId?: string; status?: string };
        if (event.startsWith('workflow.') && d.workflowId === id) soon();
        else if (event === 'lifecycle' && d.jobId && d.status) {
          remember(d.jobId, d.status);
          if (ours.current.has(d.jobId)) {
            if (TERMINAL.has(d.status)) soon();
          } else if (running.current) soon(1000);
        }
      },
      ctl.signal,
      // n.b. after a reconnect what was heard may be stale: read the jobs again
      () => {
        statuses.current.clear();
        soon();
      },
    );
    const t = setInterval(() => void reload(), 5000);
    return () => {
      ctl.abort();
      clearInterval(t);
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [id]);

  async function act(action: 'cancel' | 'retry') {
    try {
      const w = await send<WorkflowResource>('POST', `/v1/workflows/${id}/${action}`);
      setWf(w);
      setNotice({ text: action === 'cancel' ? 'Workflow cancelled.' : 'Retrying the workflow.' });
      soon();
    } catch (err) {
      setNotice({
        text: errorText(err),
        error: true,
      });
    }
  }

  if (missing)
    return (
      <section>
        <h1>Workflow not found</h1>
        <p>
          No workflow <code>{id}</code> here (or it is not yours).{' '}
          <a href="#/workflows">Back to workflows</a>
        </p>
      </section>
    );
  if (!wf) return <p class="muted">Loading…</p>;
  const counts = Object.entries(wf.counts).filter(([, n]) => n > 0);

  return (
    <section aria-labelledby="workflow-title">
      <p>
        <a href="#/workflows">← Workflows</a>
      </p>
      <h1 id="workflow-title">
        {workflowLabel(wf)} <code>{wf.id}</code> <Status status={wf.status} />
      </h1>
      <div class="toolbar">
        <button type="button" disabled={wf.status !== 'running'} onClick={() => void act('cancel')}>
          Cancel workflow
        </button>
        <button
          type="button"
          disabled={wf.status !== 'failed' && wf.status !== 'cancelled'}
          onClick={() => void act('retry')}
        >
          Retry workflow
        </button>
        <Notice text={notice?.text ?? null} error={notice?.error ?? false} />
      </div>
      <section class="card" aria-labelledby="graph-title">
        <h2 id="graph-title">Steps</h2>
        <p class="muted">
          Chains read left to right; members of a group run in parallel, stacked. Open a step to see
          its job.
        </p>
        <WorkflowGraph workflow={wf} jobStatus={jobStatus} />
      </section>
      <section class="card" aria-labelledby="wf-facts-title">
        <h2 id="wf-facts-title">Details</h2>
        <dl class="facts">
          <dt>Status</dt>
          <dd data-testid="workflow-status">{wf.status}</dd>
          <dt>Failure policy</dt>
          <dd>{wf.policy}</dd>
          <dt>Job steps</dt>
          <dd>{counts.map(([state, n]) => `${n} ${state}`).join(', ') || '—'}</dd>
          <dt>Runs</dt>
          <dd>{wf.runs}</dd>
          <dt>Owner</dt>
          <dd>{wf.owner}</dd>
          <dt>Created</dt>
          <dd>{dateTime(wf.createdAt)}</dd>
          <dt>Updated</dt>
          <dd>{dateTime(wf.updatedAt)}</dd>
          <dt>Finished</dt>
          <dd>{dateTime(wf.finishedAt)}</dd>
          <dt>Schedule</dt>
          <dd>
            {wf.scheduleId ? <a href={`#/schedules/${wf.scheduleId}`}>{wf.scheduleId}</a> : '—'}
          </dd>
        </dl>
      </section>
    </section>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, request, type JobResource, type TimelineItem, errorText } from '../api';
import { Json } from '../components/json';
import { Notice } from '../components/notice';
import { Status } from '../components/status';
import { dateTime } from '../format';
import { jobTimes, timesAfter } from '../job-times';
import { go } from '../route';
import type { Session } from '../session';
import { follow } from '../sse';
import { Timeline } from './timeline';
import { QueueStanding } from './queue-standing';
import { AttemptLogs, type AttemptLog } from './attempt-logs';

const terminal = (s: JobResource['status']) =>
  s === 'succeeded' || s === 'failed' || s === 'cancelled';

/** One job: live status and progress, timeline, payload / result / error, actions, artifact. */
export function JobDetail({ id }: { id: string; session: Session }) {
  const [job, setJob] = useState<JobResource | null>(null);
  const [timeline, setTimeline] = useState<TimelineItem[]>([]);
  const [attempts, setAttempts] = useState<AttemptLog[]>([]);
  const [missing, setMissing] = useState(false);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [now, setNow] = useState(Date.now());
  const ticking = job?.status === 'queued' || job?.status === 'running';
  useEffect(() => {
    if (!ticking) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);

  async function reload() {
    try {
      const [j, t] = await Promise.all([
        api<JobResource>(`/v1/jobs/${id}`),
        api<{ items: TimelineItem[] }>(`/v1/jobs/${id}/timeline`),
      ]);
      // n.b. logs are an extra: a failure to read them leaves the page as it is
      void api<{ items: AttemptLog[] }>(`/v1/jobs/${id}/attempts`).then(
        (r) => setAttempts(r.items),
        () => undefined,
      );
      setJob(j);
      setTimeline(t.items);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setMissing(true);
      else setNotice({ text: (err as Error).message, error: true });
    }
  }

  useEffect(() => {
    setJob(null);
    setMissing(false);
    void reload();
    const ctl = new AbortController();
    void follow(
      `/v1/jobs/${id}/events`,
      ({ event, data }) => {
        if (event === 'job') setJob(data as JobResource);
        else if (event === 'progress') {
          const p = (data as { progress: JobResource['progress'] }).progress;
          setJob((j) => (j ? { ...j, progress: p } : j));
        } else if (event === 'lifecycle') {
          const d = data as { status: JobResource['status']; occurredAt?: string };
          setJob((j) =>
            j ? { ...j, status: d.status, ...timesAfter(d.status, d.occurredAt) } : j,
          );
          void reload();
          // n.b. the timeline store writes events in 250 ms batches: read it again after one
          setTimeout(() => void reload(), 600);
        }
      },
      ctl.signal,
    );
    // A finished job's stream ends; keep the page fresh with a slow poll as well.
    const t = setInterval(() => void reload(), 5000);
    return () => {
      ctl.abort();
      clearInterval(t);
    };
  }, [id]);

  async function act(action: 'cancel' | 'retry') {
    try {
      const res = await request(`/v1/jobs/${id}/${action}`, { method: 'POST' });
      setJob((await res.json()) as JobResource);
      setNotice({
        text:
          action === 'cancel'
            ? res.status === 202
              ? 'Cancelling the running job…'
              : 'Cancelled.'
            : 'Retrying.',
      });
      setTimeout(() => void reload(), 600);
    } catch (err) {
      setNotice({
        text: errorText(err),
        error: true,
      });
    }
  }

  async function remove() {
    try {
      await request(`/v1/jobs/${id}`, { method: 'DELETE' });
      go('/jobs');
    } catch (err) {
      setNotice({
        text: errorText(err),
        error: true,
      });
    }
  }

  async function download() {
    try {
      const res = await request(`/v1/jobs/${id}/result`);
      const blob = await res.blob();
      const name =
        /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ??
        `job-${id}-result`;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setNotice({ text: `Downloaded ${name} (${blob.size} bytes).` });
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
        <h1>Job not found</h1>
        <p>
          No job <code>{id}</code> here (or it is not yours). <a href="#/jobs">Back to jobs</a>
        </p>
      </section>
    );
  if (!job) return <p class="muted">Loading…</p>;
  const artifactId = (job.result as { artifactId?: unknown } | null)?.artifactId;
  // n.b. a workflow's step jobs carry the key `workflow:<workflowId>:<stepId>:<run>`
  const workflowId = /^workflow:([a-f0-9]{24}):/.exec(job.idempotencyKey ?? '')?.[1];
  const percent = job.status === 'succeeded' ? 100 : (job.progress?.percent ?? 0);

  return (
    <section aria-labelledby="job-title">
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <h1 id="job-title">
        {job.type} <code>{job.id}</code> <Status status={job.status} />
      </h1>
      <QueueStanding id={job.id} type={job.type} queued={job.status === 'queued'} />
      <div class="toolbar">
        <button type="button" disabled={terminal(job.status)} onClick={() => void act('cancel')}>
          Cancel job
        </button>
        <button
          type="button"
          disabled={job.status !== 'failed' && job.status !== 'cancelled'}
          onClick={() => void act('retry')}
        >
          Retry job
        </button>
        {confirmDelete ? (
          <button type="button" class="danger" onClick={() => void remove()}>
            Confirm delete
          </button>
        ) : (
          <button
            type="button"
            disabled={!terminal(job.status)}
            onClick={() => setConfirmDelete(true)}
          >
            Delete job
          </button>
        )}
        {job.status === 'succeeded' && (
          <button type="button" onClick={() => void download()}>
            {typeof artifactId === 'string' ? 'Download artifact' : 'Download result'}
          </button>
        )}
        <Notice text={notice?.text ?? null} error={notice?.error ?? false} />
      </div>
      <div class="grid2">
        <section class="card" aria-labelledby="progress-title">
          <h2 id="progress-title">Progress</h2>
          <label for="job-progress">
            <span data-testid="progress-percent">{percent}%</span> {job.progress?.message ?? ''}
          </label>
          <progress id="job-progress" max={100} value={percent}>
            {percent}%
          </progress>
          <dl class="facts">
            <dt>Owner</dt>
            <dd>{job.owner}</dd>
            <dt>Priority</dt>
            <dd>{job.priority}</dd>
            <dt>Attempts</dt>
            <dd>
              {job.attempts} of {job.maxAttempts}
            </dd>
            <dt>Created</dt>
            <dd>{dateTime(job.createdAt)}</dd>
            <dt>Run at</dt>
            <dd>{dateTime(job.runAt)}</dd>
            <dt>Started</dt>
            <dd>{dateTime(job.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{dateTime(job.finishedAt)}</dd>
            <dt>Queue wait</dt>
            <dd>{jobTimes(job, now).wait}</dd>
            <dt>Run time</dt>
            <dd>{jobTimes(job, now).run}</dd>
            <dt>Schedule</dt>
            <dd>
              {job.scheduleId ? (
                <a href={`#/schedules/${job.scheduleId}`}>{job.scheduleId}</a>
              ) : (
                '—'
              )}
            </dd>
            {workflowId && (
              <>
                <dt>Workflow</dt>
                <dd>
                  <a href={`#/workflows/${workflowId}`}>{workflowId}</a>
                </dd>
              </>
            )}
            <dt>Idempotency key</dt>
            <dd>{job.idempotencyKey ?? '—'}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          <Timeline items={timeline} job={job} />
        </section>
      </div>
      {job.error && (
        <section class="card error-card" aria-labelledby="error-title">
          <h2 id="error-title">Error</h2>
          <p>
            <code>{job.error.code}</code>: {job.error.message}
          </p>
          <p>
            {job.error.retryable
              ? job.status === 'scheduled'
                ? `Retryable: the next attempt runs at ${dateTime(job.runAt)}.`
                : 'Retryable, but no attempts are left.'
              : 'Not retryable: the job failed at once.'}
          </p>
        </section>
      )}
      <section class="card" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Logs and errors per attempt</h2>
        <AttemptLogs attempts={attempts} />
      </section>
      <div class="grid2">
        <section class="card" aria-labelledby="payload-title">
          <h2 id="payload-title">Payload</h2>
          <Json value={job.payload} label="Payload JSON" />
        </section>
        <section class="card" aria-labelledby="result-title">
          <h2 id="result-title">Result</h2>
          <Json value={job.result} label="Result JSON" />
        </section>
      </div>
    </section>
  );
}

import { useState } from 'preact/hooks';
import { api, request, type DeadLetter, type QueueStats, type Worker, errorText } from '../api';
import { JobTypesCard } from '../components/job-types';
import { Notice } from '../components/notice';
import { ago, count, dateTime, rate } from '../format';
import { useNow, usePoll } from '../hooks';
import type { Session } from '../session';
import { QueuePauses } from './paused-queues';

/** Workers heart-beat every 5 s: one silent for 12 s is shown gone (the API drops it at 30 s). */
export const GONE_AFTER_MS = 12_000;

function DeadLetters() {
  const { data, error, reload } = usePoll(
    () => api<{ items: DeadLetter[]; total: number }>('/v1/dead-letters?limit=50'),
    5000,
  );
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);
  async function act(d: DeadLetter, action: 'requeue' | 'discard') {
    try {
      await request(`/v1/dead-letters/${d.key}/${action}`, { method: 'POST' });
      setNotice({
        text:
          action === 'requeue'
            ? `Requeued to ${d.exchange ?? '?'} (${d.routingKey ?? ''}).`
            : 'Discarded.',
      });
    } catch (err) {
      setNotice({
        text: errorText(err),
        error: true,
      });
    }
    await reload();
  }
  return (
    <section class="card" aria-labelledby="dlq-title">
      <h2 id="dlq-title">Dead-letter queue</h2>
      <Notice text={notice?.text ?? null} error={notice?.error ?? false} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <caption>
          {data
            ? `${data.total} ${data.total === 1 ? 'message' : 'messages'} (showing ${data.items.length})`
            : 'Loading…'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Reason</th>
            <th scope="col">From queue</th>
            <th scope="col">Routing key</th>
            <th scope="col" class="num">
              Deaths
            </th>
            <th scope="col">First died</th>
            <th scope="col">Message</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((d) => (
            <tr key={d.key} data-dead-letter={d.key}>
              <td>{d.reason ?? '—'}</td>
              <td>{d.queue ?? '—'}</td>
              <td>
                <code>{d.routingKey ?? '—'}</code>
              </td>
              <td class="num" data-testid="deaths">
                {d.count}
              </td>
              <td>{dateTime(d.firstDeathAt)}</td>
              <td>
                {d.jobId ? (
                  <a href={`#/jobs/${d.jobId}`}>job {d.jobId}</a>
                ) : (
                  <code class="clip">{d.body.slice(0, 80)}</code>
                )}
              </td>
              <td class="actions">
                <button
                  type="button"
                  onClick={() => void act(d, 'requeue')}
                  aria-label={`Requeue dead letter ${d.key}`}
                >
                  Requeue
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={() => void act(d, 'discard')}
                  aria-label={`Discard dead letter ${d.key}`}
                >
                  Discard
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Queues (depth, ready / unacked, rates, consumers), worker groups with their pause (admins
 * pause and resume), dead letters (admins), workers from heartbeats.
 */
export function Queues({ session }: { session: Session }) {
  const queues = usePoll(() => api<{ items: QueueStats[] }>('/v1/stats/queues'), 3000);
  const workers = usePoll(() => api<{ items: Worker[] }>('/v1/workers'), 2000);
  const now = useNow(1000);
  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Queues &amp; workers</h1>
      <section class="card" aria-labelledby="lanes-title">
        <h2 id="lanes-title">Queues</h2>
        {queues.error && (
          <p class="error" role="alert">
            {queues.error}
          </p>
        )}
        <table>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Lane</th>
              <th scope="col" class="num">
                Messages
              </th>
              <th scope="col" class="num">
                Ready
              </th>
              <th scope="col" class="num">
                Unacked
              </th>
              <th scope="col" class="num">
                Publish
              </th>
              <th scope="col" class="num">
                Deliver
              </th>
              <th scope="col" class="num">
                Consumers
              </th>
            </tr>
          </thead>
          <tbody>
            {(queues.data?.items ?? []).map((q) => (
              <tr key={q.name}>
                <th scope="row">
                  <code>{q.name}</code>
                </th>
                <td>
                  {q.role === 'work'
                    ? `${q.service} · ${q.lane}`
                    : q.role === 'dead-letters'
                      ? 'dead letters'
                      : 'timeline events (API)'}
                </td>
                <td class="num">{count(q.messages)}</td>
                <td class="num">{count(q.ready)}</td>
                <td class="num">{count(q.unacked)}</td>
                <td class="num">{rate(q.publishRate)}</td>
                <td class="num">{rate(q.deliverRate)}</td>
                <td class="num">{count(q.consumers)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <QueuePauses session={session} />
      <JobTypesCard />
      {session.admin && <DeadLetters />}
      <section class="card" aria-labelledby="workers-title">
        <h2 id="workers-title">Workers</h2>
        {workers.error && (
          <p class="error" role="alert">
            {workers.error}
          </p>
        )}
        <table data-testid="workers">
          <caption>From heartbeats every 5 s; a silent worker is shown gone, then removed.</caption>
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Service</th>
              <th scope="col">State</th>
              <th scope="col" class="num">
                In flight
              </th>
              <th scope="col" class="num">
                Concurrency
              </th>
              <th scope="col">Version</th>
              <th scope="col">Host / pid</th>
              <th scope="col">Up since</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {(workers.data?.items ?? []).map((w) => {
              const gone = now - new Date(w.lastSeenAt).getTime() > GONE_AFTER_MS;
              return (
                <tr key={w.workerId} data-worker-pid={w.pid} class={gone ? 'gone' : ''}>
                  <th scope="row">
                    <code>{w.workerId}</code>
                  </th>
                  <td>{w.service}</td>
                  <td>
                    {gone ? (
                      <span class="status status-failed">gone</span>
                    ) : (
                      <span class="status status-succeeded">alive</span>
                    )}
                  </td>
                  <td class="num">{w.active}</td>
                  <td class="num">{w.concurrency}</td>
                  <td>{w.version ?? '—'}</td>
                  <td>
                    {w.hostname} / {w.pid}
                  </td>
                  <td>{dateTime(w.startedAt)}</td>
                  <td>{ago(w.lastSeenAt, now)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </section>
  );
}

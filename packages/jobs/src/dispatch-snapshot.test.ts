import { describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { jobFromSnapshot, snapshotOf, SNAPSHOT_MAX_PAYLOAD } from './dispatch-snapshot.js';
import type { JobDoc } from './job.model.js';

const at = (s: string) => new Date(`2026-03-0${s}T10:00:00.000Z`);

/** A queued job as the store holds it before its second attempt. */
const queued = (over: Partial<JobDoc> = {}): JobDoc => ({
  _id: new Types.ObjectId(),
  type: 'demo.count',
  status: 'queued',
  priority: 'high',
  owner: 'alice',
  ownerEmail: 'alice@example.com',
  payload: JSON.stringify({ to: 3 }),
  result: null,
  error: { code: 'HTTP_503', message: 'busy', retryable: true },
  attempts: 1,
  maxAttempts: 5,
  attemptBudget: 5,
  timeoutMs: 60_000,
  runAt: at('2'),
  createdAt: at('1'),
  updatedAt: at('2'),
  queuedAt: at('2'),
  publishedAt: null,
  startedAt: null,
  finishedAt: null,
  progress: null,
  leaseToken: null,
  leaseUntil: null,
  workerId: null,
  cancelRequested: false,
  dedupeKey: 'k:5:alice:key-1',
  idempotencyKey: 'key-1',
  scheduleId: 'sch-1',
  correlationId: 'corr-1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  batch: null,
  reactions: [{ kind: 'callback', id: 'cb-1' } as never],
  ...over,
});

const dispatchOf = (job: JobDoc) => ({
  jobId: job._id.toHexString(),
  type: job.type,
  attempt: job.attempts + 1,
  priority: job.priority,
});

/** What a dispatch carries across the broker: JSON text. */
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('dispatch snapshots', () => {
  it('rebuild, after the trip through JSON, every field of the queued job a worker reads', () => {
    const job = queued();
    const rebuilt = jobFromSnapshot({ ...dispatchOf(job), job: wire(snapshotOf(job)) });
    expect(rebuilt).toEqual(job);
  });

  it('carry no reactions field for a job without reactions', () => {
    const job = queued({ reactions: undefined, error: null, scheduleId: null, ownerEmail: null });
    delete job.reactions;
    const snap = snapshotOf(job)!;
    expect(snap).not.toHaveProperty('reactions');
    expect(jobFromSnapshot({ ...dispatchOf(job), job: wire(snap) })).toEqual(job);
  });

  it('are left out for a payload longer than the limit: the worker reads that job', () => {
    const job = queued({ payload: JSON.stringify({ s: 'x'.repeat(SNAPSHOT_MAX_PAYLOAD) }) });
    expect(snapshotOf(job)).toBeUndefined();
    expect(jobFromSnapshot({ ...dispatchOf(job), job: undefined })).toBeNull();
  });

  it('count as absent when malformed, so the claim reads the job instead', () => {
    const job = queued();
    const good = wire(snapshotOf(job)) as Record<string, unknown>;
    const broken: Record<string, unknown>[] = [
      { ...good, owner: 7 },
      { ...good, maxAttempts: 0 },
      { ...good, timeoutMs: 'soon' },
      { ...good, createdAt: 'yesterday' },
      { ...good, queuedAt: 12 },
      { ...good, error: 'boom' },
      { ...good, reactions: {} },
      (({ payload: _p, ...rest }) => rest)(good),
    ];
    for (const b of broken) expect(jobFromSnapshot({ ...dispatchOf(job), job: b })).toBeNull();
    expect(jobFromSnapshot({ ...dispatchOf(job), job: 'text' })).toBeNull();
    expect(jobFromSnapshot({ ...dispatchOf(job), jobId: 'nope', job: good })).toBeNull();
  });
});

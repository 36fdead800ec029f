import { describe, expect, it } from '@jest/globals';
import { JOB_STATUSES } from '@conveyor/contracts';
import { initialStatus, TRANSITIONS, transitionWrite, type TransitionName } from './transitions.js';

const now = new Date('2026-01-01T00:00:00Z');

describe('the transition table', () => {
  it('names only real states, and every transition out of running is fenced by the lease', () => {
    for (const [name, t] of Object.entries(TRANSITIONS)) {
      for (const s of t.from) expect(JOB_STATUSES).toContain(s);
      if (t.from.includes('running') && name !== 'requestCancel')
        expect(Object.keys(t.when({ leaseToken: 'L' } as never))).toContain('leaseToken');
    }
  });

  it('marks the final event owed with every write that finishes a job, and only those', () => {
    const succeeded = transitionWrite('moveToSucceeded', 'j', { leaseToken: 'L', result: 1 }, now);
    expect((succeeded.update['$set'] as Record<string, unknown>)['eventPendingAt']).toEqual(now);
    const cancelled = transitionWrite('cancelWaiting', 'j', {}, now);
    expect((cancelled.update['$set'] as Record<string, unknown>)['eventPendingAt']).toEqual(now);
    const running = transitionWrite(
      'moveToRunning',
      'j',
      { attempt: 1, workerId: 'w', leaseToken: 'L', leaseMs: 1 },
      now,
    );
    expect(running.update['$set']).not.toHaveProperty('eventPendingAt');
    const retry = transitionWrite(
      'moveToRetry',
      'j',
      { leaseToken: 'L', error: { code: 'X', message: 'x', retryable: true }, retryAt: now },
      now,
    );
    expect(retry.update['$set']).not.toHaveProperty('eventPendingAt');
  });

  it('builds one conditional write: id, expected state and the fence in the filter', () => {
    const w = transitionWrite(
      'moveToRunning',
      'job-1',
      { attempt: 2, workerId: 'w', leaseToken: 'L', leaseMs: 1000 },
      now,
    );
    expect(w.filter).toEqual({
      _id: 'job-1',
      status: 'queued',
      attempts: 1,
      cancelRequested: false,
    });
    expect(w.update).toEqual({
      $set: expect.objectContaining({
        status: 'running',
        leaseToken: 'L',
        leaseUntil: new Date(now.getTime() + 1000),
        workerId: 'w',
      }),
      $inc: { attempts: 1 },
      // n.b. the job's history step rides on the same write
      $push: { history: { t: 'moveToRunning', status: 'running', at: now, workerId: 'w' } },
    });
    const cancel = transitionWrite('cancelWaiting', 'job-1', { owner: 'alice' }, now);
    expect(cancel.filter).toEqual({
      _id: 'job-1',
      status: { $in: ['scheduled', 'queued'] },
      owner: 'alice',
    });
  });

  it('moves to the state its name says, and only final states set finishedAt', () => {
    const args: { [N in TransitionName]: unknown } = {
      moveToQueued: { now, batch: 'b' },
      moveToRunning: { attempt: 1, workerId: 'w', leaseToken: 'L', leaseMs: 1 },
      renewLease: { leaseToken: 'L', leaseMs: 1 },
      recordProgress: { leaseToken: 'L', progress: { percent: 1 } },
      moveToSucceeded: { leaseToken: 'L', result: 1 },
      moveToRetry: {
        leaseToken: 'L',
        error: { code: 'E', message: '', retryable: true },
        retryAt: now,
      },
      moveToFailed: { leaseToken: 'L', error: { code: 'E', message: '', retryable: false } },
      deferToScheduled: { leaseToken: 'L', runAt: now },
      moveRunningToCancelled: { leaseToken: 'L' },
      releaseToQueued: { leaseToken: 'L', redelivery: 'broker' },
      expireLease: { leaseToken: 'L', cancelRequested: false, to: 'failed', workerId: null },
      cancelWaiting: {},
      requestCancel: {},
      retryFinished: { attempts: 1, attemptBudget: 3 },
      markPublished: { at: now },
      holdQueued: { attempt: 1, holdKey: 'limit:type:x' },
      releaseHold: { holdKey: 'limit:type:x' },
      deferForRate: { attempt: 1, at: now },
    };
    const target: Partial<Record<TransitionName, string>> = {
      moveToQueued: 'queued',
      moveToRunning: 'running',
      moveToSucceeded: 'succeeded',
      moveToRetry: 'scheduled',
      moveToFailed: 'failed',
      deferToScheduled: 'scheduled',
      moveRunningToCancelled: 'cancelled',
      releaseToQueued: 'queued',
      expireLease: 'failed',
      cancelWaiting: 'cancelled',
      retryFinished: 'queued',
      deferForRate: 'scheduled',
    };
    for (const name of Object.keys(TRANSITIONS) as TransitionName[]) {
      const { update } = transitionWrite(name, 'x', args[name] as never, now);
      const set = update.$set as Record<string, unknown>;
      expect([name, set['status']]).toEqual([name, target[name]]);
      const final = ['succeeded', 'failed', 'cancelled'].includes(String(set['status']));
      expect([name, 'finishedAt' in set && set['finishedAt'] !== null]).toEqual([name, final]);
      // only status changes announce themselves, and only they append to the history
      expect([name, TRANSITIONS[name].emits]).toEqual([name, target[name] !== undefined]);
      const pushed = (update as { $push?: { history: { status: string } } }).$push?.history;
      expect([name, pushed?.status]).toEqual([name, target[name]]);
    }
  });

  it('a deferral gives the attempt back and records no error', () => {
    const runAt = new Date(now.getTime() + 5000);
    const w = transitionWrite('deferToScheduled', 'x', { leaseToken: 'L', runAt }, now);
    expect(w.filter).toEqual({ _id: 'x', status: 'running', leaseToken: 'L' });
    expect(w.update.$inc).toEqual({ attempts: -1 });
    expect(w.update.$set).toMatchObject({ status: 'scheduled', runAt, leaseToken: null });
    expect('error' in (w.update.$set as object)).toBe(false);
  });

  it('a limit holds or defers a queued job without spending its attempt', () => {
    const hold = transitionWrite('holdQueued', 'x', { attempt: 2, holdKey: 'limit:a' }, now);
    expect(hold.filter).toEqual({
      _id: 'x',
      status: 'queued',
      attempts: 1,
      cancelRequested: false,
      holdKey: null,
    });
    expect(hold.update).toEqual({
      $set: { holdKey: 'limit:a', publishedAt: null, updatedAt: now },
    });
    const at = new Date(now.getTime() + 1000);
    const defer = transitionWrite('deferForRate', 'x', { attempt: 2, at }, now);
    expect(defer.update.$inc).toBeUndefined();
    expect(defer.update.$set).toMatchObject({ status: 'scheduled', runAt: at, rateSlotAt: at });
    // the claim spends the hold and the reservation
    const claim = transitionWrite(
      'moveToRunning',
      'x',
      { attempt: 2, workerId: 'w', leaseToken: 'L', leaseMs: 1 },
      now,
    );
    expect(claim.update.$set).toMatchObject({ holdKey: null, rateSlotAt: null });
  });

  it('retrying a finished job grants a fresh budget on top of the attempts spent', () => {
    const w = transitionWrite('retryFinished', 'x', { attempts: 3, attemptBudget: 3 }, now);
    expect(w.filter).toMatchObject({ status: { $in: ['failed', 'cancelled'] }, attempts: 3 });
    expect(w.update.$set).toMatchObject({ status: 'queued', maxAttempts: 6, error: null });
  });

  it('starts a job scheduled only when runAt is in the future', () => {
    expect(initialStatus(new Date(now.getTime() + 1), now)).toBe('scheduled');
    expect(initialStatus(now, now)).toBe('queued');
    expect(initialStatus(new Date(0), now)).toBe('queued');
  });
});

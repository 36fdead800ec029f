import { describe, expect, it } from '@jest/globals';
import {
  checkEnvelope,
  envelope,
  jobDispatch,
  jobLifecycleEvent,
  jobProgressEvent,
} from './messages.js';

const dispatch = () =>
  envelope(jobDispatch, {
    jobId: 'a'.repeat(24),
    type: 'demo.count',
    attempt: 1,
    priority: 'normal',
  });

describe('checkEnvelope (the cheap check of trusted queues)', () => {
  it('accepts what envelope() builds, as the full schema does', () => {
    for (const env of [
      dispatch(),
      envelope(jobLifecycleEvent, {
        jobId: 'j',
        type: 't.x',
        owner: 'o',
        status: 'failed',
        attempt: 2,
        error: { code: 'X', message: 'x', retryable: false },
      }),
      envelope(jobProgressEvent, {
        jobId: 'j',
        type: 't.x',
        owner: 'o',
        attempt: 1,
        progress: { percent: 50 },
      }),
    ]) {
      const def = {
        'job.dispatch': jobDispatch,
        'job.lifecycle': jobLifecycleEvent,
        'job.progress': jobProgressEvent,
      }[env.type]!;
      const body = JSON.parse(JSON.stringify(env)) as unknown;
      expect(checkEnvelope(def as typeof jobDispatch, body).ok).toBe(true);
      expect(def.envelope.safeParse(body).success).toBe(true);
    }
  });

  it('refuses a malformed message, saying what is wrong', () => {
    const wrong = (patch: Record<string, unknown>, data: Record<string, unknown> = {}) => {
      const env = { ...dispatch(), ...patch } as Record<string, unknown>;
      env['data'] = { ...(env['data'] as object), ...data };
      const c = checkEnvelope(jobDispatch, JSON.parse(JSON.stringify(env)));
      // n.b. whatever the cheap check refuses, the full schema refuses too
      expect(jobDispatch.envelope.safeParse(env).success).toBe(false);
      return c.ok ? 'accepted' : c.reason;
    };
    expect(wrong({ type: 'job.cancel' })).toMatch(/^type/);
    expect(wrong({ version: 2 })).toMatch(/^version/);
    expect(wrong({ occurredAt: 'yesterday' })).toMatch(/^occurredAt/);
    expect(wrong({ traceparent: 'x' })).toMatch(/^traceparent/);
    expect(wrong({}, { jobId: 'not-hex' })).toMatch(/^data\.jobId/);
    expect(wrong({}, { attempt: 0 })).toMatch(/^data\.attempt/);
    expect(wrong({}, { priority: 'asap' })).toMatch(/^data\.priority/);
    expect(checkEnvelope(jobDispatch, 'text')).toEqual({ ok: false, reason: 'not an object' });
  });
});

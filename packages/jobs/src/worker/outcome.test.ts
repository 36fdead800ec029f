import { describe, expect, it } from '@jest/globals';
import { AttemptAbort, settlementOf, type AttemptOutcome } from './outcome.js';

describe('settlementOf', () => {
  it('acks every recorded outcome, requeues releases and unknown types (for a replica that has them)', () => {
    const job = {} as never;
    const acked: AttemptOutcome[] = [
      { kind: 'rejected' },
      { kind: 'succeeded', job },
      { kind: 'retry', job },
      { kind: 'failed', job },
      { kind: 'cancelled', job },
      { kind: 'lease-lost' },
    ];
    for (const o of acked) expect(settlementOf(o, 0)).toEqual({ action: 'ack' });
    expect(settlementOf({ kind: 'released' }, 0)).toEqual({ action: 'requeue', pauseMs: 0 });
    expect(settlementOf({ kind: 'no-handler' }, 0)).toEqual({ action: 'requeue', pauseMs: 2000 });
  });

  it('holds a message longer with each delivery while the store fails, up to 10 s', () => {
    const o: AttemptOutcome = { kind: 'store-error', error: new Error('down') };
    expect(
      [0, 1, 2, 3, 4, 9].map((n) => (settlementOf(o, n) as { pauseMs: number }).pauseMs),
    ).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

describe('AttemptAbort', () => {
  it('keeps the first reason', () => {
    const a = new AttemptAbort();
    expect(a.reason).toBeNull();
    a.abort('timeout');
    a.abort('cancel');
    expect(a.reason).toBe('timeout');
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe('timeout');
  });
});

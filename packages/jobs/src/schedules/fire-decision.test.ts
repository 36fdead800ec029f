import { describe, expect, it } from '@jest/globals';
import { decideFire, type FireDecisionInput } from './fire-decision.js';

const now = new Date('2026-01-01T00:10:00Z');
const base: FireDecisionInput = {
  due: { count: 1, latest: new Date('2026-01-01T00:09:59Z'), capped: false },
  now,
  misfirePolicy: 'skip',
  overlapPolicy: 'allow',
  hasActiveJob: false,
  toleranceMs: 5000,
};
const stale = { count: 3, latest: new Date('2026-01-01T00:07:00Z'), capped: false };

describe('decideFire', () => {
  it('fires an on-time fire', () => {
    expect(decideFire(base)).toEqual({ fireAt: base.due.latest, misfires: 0, overlapSkipped: false });
  });
  it('nothing due, nothing fired', () => {
    expect(decideFire({ ...base, due: { count: 0, latest: null, capped: false } }).fireAt).toBeNull();
  });
  it('skip drops a late backlog entirely', () => {
    expect(decideFire({ ...base, due: stale })).toEqual({ fireAt: null, misfires: 3, overlapSkipped: false });
  });
  it('skip fires the latest when it is on time and drops the older ones', () => {
    const due = { count: 3, latest: new Date('2026-01-01T00:09:58Z'), capped: false };
    expect(decideFire({ ...base, due })).toEqual({ fireAt: due.latest, misfires: 2, overlapSkipped: false });
  });
  it('run-once fires the latest missed time once', () => {
    expect(decideFire({ ...base, due: stale, misfirePolicy: 'run-once' })).toEqual({
      fireAt: stale.latest,
      misfires: 2,
      overlapSkipped: false,
    });
  });
  it('overlap skip suppresses the fire only while a job is active', () => {
    expect(decideFire({ ...base, overlapPolicy: 'skip', hasActiveJob: true })).toEqual({
      fireAt: null,
      misfires: 0,
      overlapSkipped: true,
    });
    expect(decideFire({ ...base, overlapPolicy: 'skip', hasActiveJob: false }).fireAt).toEqual(base.due.latest);
    expect(decideFire({ ...base, overlapPolicy: 'allow', hasActiveJob: true }).fireAt).toEqual(base.due.latest);
  });
});

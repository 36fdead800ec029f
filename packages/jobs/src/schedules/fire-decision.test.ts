import { describe, expect, it } from '@jest/globals';
import { decideFire, type FireDecisionInput } from './fire-decision.js';

const at = (s: string) => new Date(`2026-01-01T00:${s}Z`);
const base: FireDecisionInput = {
  due: { count: 1, latest: at('09:59'), capped: false },
  onTime: [at('09:59')],
  now: at('10:00'),
  misfirePolicy: 'skip',
  overlapPolicy: 'allow',
  hasActiveJob: false,
};
const stale: Pick<FireDecisionInput, 'due' | 'onTime'> = {
  due: { count: 3, latest: at('07:00'), capped: false },
  onTime: [],
};

describe('decideFire', () => {
  it('fires an on-time fire', () => {
    expect(decideFire(base)).toEqual({ fireAt: [at('09:59')], misfires: 0, overlapSkipped: false });
  });
  it('nothing due, nothing fired', () => {
    expect(
      decideFire({ ...base, due: { count: 0, latest: null, capped: false }, onTime: [] }).fireAt,
    ).toEqual([]);
  });
  it('skip drops a late backlog entirely', () => {
    expect(decideFire({ ...base, ...stale })).toEqual({
      fireAt: [],
      misfires: 3,
      overlapSkipped: false,
    });
  });
  it('fires every on-time fire of a late scan and drops only the older ones', () => {
    const due = { count: 4, latest: at('09:59'), capped: false };
    expect(decideFire({ ...base, due, onTime: [at('09:58'), at('09:59')] })).toEqual({
      fireAt: [at('09:58'), at('09:59')],
      misfires: 2,
      overlapSkipped: false,
    });
  });
  it('run-once fires the latest missed time once', () => {
    expect(decideFire({ ...base, ...stale, misfirePolicy: 'run-once' })).toEqual({
      fireAt: [at('07:00')],
      misfires: 2,
      overlapSkipped: false,
    });
  });
  it('overlap skip fires at most the latest, and nothing while a job is active', () => {
    const two = {
      ...base,
      due: { count: 2, latest: at('09:59'), capped: false },
      onTime: [at('09:58'), at('09:59')],
    };
    expect(decideFire({ ...two, overlapPolicy: 'skip', hasActiveJob: true })).toEqual({
      fireAt: [],
      misfires: 0,
      overlapSkipped: true,
    });
    expect(decideFire({ ...two, overlapPolicy: 'skip' })).toEqual({
      fireAt: [at('09:59')],
      misfires: 1,
      overlapSkipped: false,
    });
    expect(decideFire({ ...base, overlapPolicy: 'allow', hasActiveJob: true }).fireAt).toEqual([
      at('09:59'),
    ]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { durationsOf } from './resource.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 8, 0, s));

describe('durationsOf', () => {
  it('is the wait from queued to started and the run from started to finished', () => {
    expect(durationsOf({ queuedAt: at(0), startedAt: at(3), finishedAt: at(10) })).toEqual({
      queueWaitMs: 3000,
      runMs: 7000,
    });
  });

  it('has no run time while the attempt runs, and nothing before it starts', () => {
    expect(durationsOf({ queuedAt: at(0), startedAt: at(2), finishedAt: null })).toEqual({
      queueWaitMs: 2000,
      runMs: null,
    });
    expect(durationsOf({ queuedAt: at(0), startedAt: null, finishedAt: null })).toEqual({
      queueWaitMs: null,
      runMs: null,
    });
  });

  it('does not mix attempts: a job queued again after its last start has no figures yet', () => {
    // retried through the API: queued at 20, the old attempt started at 3
    expect(durationsOf({ queuedAt: at(20), startedAt: at(3), finishedAt: at(10) })).toEqual({
      queueWaitMs: null,
      runMs: null,
    });
    // cancelled while waiting for a retry: the retry cleared queuedAt
    expect(durationsOf({ queuedAt: null, startedAt: at(3), finishedAt: at(30) })).toEqual({
      queueWaitMs: null,
      runMs: null,
    });
  });
});

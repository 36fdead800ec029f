import { describe, expect, it } from '@jest/globals';
import { keySignature, raceVerdict, uniqueVerdict } from './verdict.js';

describe('raceVerdict', () => {
  it('passes when every round has exactly one winner', () => {
    expect(raceVerdict([1, 1, 1])).toEqual({ ok: true, winners: 3, badRounds: 0, maxInRound: 1 });
  });

  it('fails on a round with two winners (a non-atomic conditional update)', () => {
    const verdict = raceVerdict([1, 2, 1, 3]);
    expect(verdict).toEqual({ ok: false, winners: 7, badRounds: 2, maxInRound: 3 });
  });

  it('fails on a round nobody won (a lost update) and on no rounds at all', () => {
    expect(raceVerdict([1, 0]).ok).toBe(false);
    expect(raceVerdict([]).ok).toBe(false);
  });
});

describe('uniqueVerdict', () => {
  it('passes when one insert lands and every other racer gets E11000', () => {
    const rounds = [{ inserted: 1, duplicateKeyErrors: 7, otherErrors: 0 }];
    expect(uniqueVerdict(rounds, 8)).toMatchObject({ ok: true, inserted: 1, badRounds: 0 });
  });

  it('fails on two inserts of one key, on missing E11000s and on other errors', () => {
    expect(uniqueVerdict([{ inserted: 2, duplicateKeyErrors: 6, otherErrors: 0 }], 8).ok).toBe(
      false,
    );
    expect(uniqueVerdict([{ inserted: 1, duplicateKeyErrors: 5, otherErrors: 0 }], 8).ok).toBe(
      false,
    );
    expect(uniqueVerdict([{ inserted: 1, duplicateKeyErrors: 6, otherErrors: 1 }], 8).ok).toBe(
      false,
    );
    expect(uniqueVerdict([], 8).ok).toBe(false);
  });
});

describe('keySignature', () => {
  it('keeps field order and direction', () => {
    expect(keySignature({ owner: 1, _id: -1 })).toBe('owner:1,_id:-1');
    expect(keySignature({ _id: -1, owner: 1 })).not.toBe(keySignature({ owner: 1, _id: -1 }));
  });
});

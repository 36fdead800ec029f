import { describe, expect, it } from '@jest/globals';
import { compareSortKeys, sortKey, valuesEqual } from './compare.js';

describe('valuesEqual', () => {
  it('compares numerically when both sides are numbers', () => {
    expect(valuesEqual('10', 10)).toBe(true);
    expect(valuesEqual(' 1e1 ', '10.0')).toBe(true);
    expect(valuesEqual('10', '9')).toBe(false);
  });

  it('is strict for booleans and null, treating a missing field as null', () => {
    expect(valuesEqual(true, true)).toBe(true);
    expect(valuesEqual('true', true)).toBe(false);
    expect(valuesEqual(null, null)).toBe(true);
    expect(valuesEqual(undefined, null)).toBe(true);
    expect(valuesEqual('', null)).toBe(false);
    expect(valuesEqual(0, false)).toBe(false);
  });

  it('compares other values as strings, case-sensitively', () => {
    expect(valuesEqual('Paris', 'Paris')).toBe(true);
    expect(valuesEqual('paris', 'Paris')).toBe(false);
    expect(valuesEqual('', '')).toBe(true);
    expect(valuesEqual('10 apples', '10')).toBe(false);
  });
});

describe('compareSortKeys', () => {
  const sorted = (values: (string | number | null | boolean | undefined)[], dir: 'asc' | 'desc') =>
    values
      .map((v) => ({ v, k: sortKey(v) }))
      .sort((a, b) => compareSortKeys(a.k, b.k, dir))
      .map((x) => x.v);

  it('orders numbers numerically, before text, blanks last', () => {
    expect(sorted(['b', '10', null, '9', 'a', '', 2.5, undefined, '1e3', 'B'], 'asc')).toEqual([
      2.5,
      '9',
      '10',
      '1e3',
      'B',
      'a',
      'b',
      null,
      '',
      undefined,
    ]);
  });

  it('reverses non-blank values for desc and still puts blanks last', () => {
    expect(sorted([null, '9', 'a', '10', '', true], 'desc')).toEqual([
      true,
      'a',
      '10',
      '9',
      null,
      '',
    ]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { toFiniteNumber } from './numbers.js';

describe('toFiniteNumber', () => {
  it.each([
    [42, 42],
    ['10', 10],
    [' 42 ', 42],
    ['1e3', 1000],
    ['-1.5', -1.5],
    ['+.5', 0.5],
    ['7.', 7],
    ['1E-2', 0.01],
  ])('reads %j as %j', (input, expected) => {
    expect(toFiniteNumber(input)).toBe(expected);
  });

  it.each([
    ['abc'],
    [''],
    ['  '],
    ['0x10'],
    ['Infinity'],
    ['1_000'],
    ['1,5'],
    ['1e999'],
    [true],
    [null],
    [undefined],
    [NaN],
    [Infinity],
  ])('does not read %j as a number', (input) => {
    expect(toFiniteNumber(input)).toBeNull();
  });
});

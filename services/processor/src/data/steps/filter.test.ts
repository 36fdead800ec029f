import { describe, expect, it } from '@jest/globals';
import type { FilterCondition } from '@conveyor/contracts';
import { collect, fromArray } from '../iterables.js';
import type { DataRecord } from '../record.js';
import { filter } from './filter.js';

const records: DataRecord[] = [
  { id: 1, n: '10', city: 'Paris', ok: true },
  { id: 2, n: '9', city: 'paris', ok: 'true' },
  { id: 3, n: ' 42 ', city: 'Lyon', ok: false },
  { id: 4, n: '1e3', city: '', ok: null },
  { id: 5, n: 'abc', city: 'Saint-Paris' },
  { id: 6, n: '', city: null },
];

async function ids(...where: FilterCondition[]): Promise<unknown[]> {
  return (await collect(filter(fromArray(records), { op: 'filter', where }))).map((r) => r.id);
}

describe('filter', () => {
  it('compares numerically when both sides are numbers', async () => {
    expect(await ids({ field: 'n', gt: 9 })).toEqual([1, 3, 4]);
    expect(await ids({ field: 'n', gte: '10' })).toEqual([1, 3, 4]);
    expect(await ids({ field: 'n', lt: '10' })).toEqual([2]);
    expect(await ids({ field: 'n', lte: 42 })).toEqual([1, 2, 3]);
    expect(await ids({ field: 'n', eq: 42 })).toEqual([3]);
    expect(await ids({ field: 'n', eq: '1000' })).toEqual([4]);
  });

  it('never satisfies a numeric comparison with a non-number', async () => {
    expect(await ids({ field: 'n', gt: -1e308 })).toEqual([1, 2, 3, 4]);
    expect(await ids({ field: 'n', lt: 'abc' })).toEqual([]);
    expect(await ids({ field: 'missing', gte: 0 })).toEqual([]);
  });

  it('compares strings exactly and booleans / null strictly', async () => {
    expect(await ids({ field: 'city', eq: 'Paris' })).toEqual([1]);
    expect(await ids({ field: 'city', ne: 'Paris' })).toEqual([2, 3, 4, 5, 6]);
    expect(await ids({ field: 'ok', eq: true })).toEqual([1]);
    expect(await ids({ field: 'ok', eq: null })).toEqual([4, 5, 6]);
    expect(await ids({ field: 'city', eq: '' })).toEqual([4]);
    expect(await ids({ field: 'ok', ne: null })).toEqual([1, 2, 3]);
  });

  it('tests membership with the same equality', async () => {
    expect(await ids({ field: 'n', in: [10, '42', 'abc'] })).toEqual([1, 3, 5]);
    expect(await ids({ field: 'ok', in: [false, null] })).toEqual([3, 4, 5, 6]);
  });

  it('matches substrings case-sensitively on the string form', async () => {
    expect(await ids({ field: 'city', contains: 'Paris' })).toEqual([1, 5]);
    expect(await ids({ field: 'ok', contains: 'ru' })).toEqual([1, 2]);
    expect(await ids({ field: 'city', contains: '' })).toEqual([1, 2, 3, 4, 5]);
  });

  it('requires every condition to hold', async () => {
    expect(await ids({ field: 'n', gte: 9 }, { field: 'city', contains: 'aris' })).toEqual([1, 2]);
  });
});

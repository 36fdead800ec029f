import { describe, expect, it } from '@jest/globals';
import { collect, fromArray } from '../iterables.js';
import type { DataRecord } from '../record.js';
import { analyze } from './analyze.js';

describe('analyze', () => {
  it('describes each field in order of first appearance', async () => {
    const records: DataRecord[] = [
      { id: '1', name: 'Ada', score: ' 42 ', flag: true, blank: '', mixed: 1 },
      { id: '2', name: 'Grace', score: '1e3', flag: false, blank: null, mixed: 'x' },
      { id: '3', name: 'Ada', score: '', flag: true, mixed: true, late: 'z' },
      { id: '10', name: null, score: -2 },
    ];
    expect(await collect(analyze(fromArray(records)))).toEqual([
      {
        field: 'id',
        type: 'number',
        count: 4,
        nulls: 0,
        distinct: 4,
        distinctCapped: false,
        min: 1,
        max: 10,
        mean: 4,
      },
      {
        field: 'name',
        type: 'string',
        count: 4,
        nulls: 1,
        distinct: 2,
        distinctCapped: false,
        min: null,
        max: null,
        mean: null,
      },
      {
        field: 'score',
        type: 'number',
        count: 4,
        nulls: 1,
        distinct: 3,
        distinctCapped: false,
        min: -2,
        max: 1000,
        mean: 1040 / 3,
      },
      {
        field: 'flag',
        type: 'boolean',
        count: 3,
        nulls: 0,
        distinct: 2,
        distinctCapped: false,
        min: null,
        max: null,
        mean: null,
      },
      {
        field: 'blank',
        type: 'empty',
        count: 2,
        nulls: 2,
        distinct: 0,
        distinctCapped: false,
        min: null,
        max: null,
        mean: null,
      },
      {
        field: 'mixed',
        type: 'mixed',
        count: 3,
        nulls: 0,
        distinct: 3,
        distinctCapped: false,
        min: null,
        max: null,
        mean: null,
      },
      {
        field: 'late',
        type: 'string',
        count: 1,
        nulls: 0,
        distinct: 1,
        distinctCapped: false,
        min: null,
        max: null,
        mean: null,
      },
    ]);
  });

  it('counts distinct values exactly up to the cap, then reports the cap', async () => {
    const records = (n: number) =>
      fromArray(Array.from({ length: n }, (_, i) => ({ v: `v${i % 7}`, u: i })));
    const [v, u] = await collect(analyze(records(20), { distinctCap: 7 }));
    expect(v).toMatchObject({ field: 'v', distinct: 7, distinctCapped: false });
    expect(u).toMatchObject({
      field: 'u',
      distinct: 7,
      distinctCapped: true,
      min: 0,
      max: 19,
      mean: 9.5,
    });
  });

  it('emits nothing for no input', async () => {
    expect(await collect(analyze(fromArray([])))).toEqual([]);
  });
});

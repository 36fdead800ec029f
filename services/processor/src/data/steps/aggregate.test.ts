import { describe, expect, it } from '@jest/globals';
import { collect, fromArray } from '../iterables.js';
import type { DataRecord } from '../record.js';
import { aggregate, type AggregateStep } from './aggregate.js';

const run = (records: DataRecord[], step: Omit<AggregateStep, 'op'>) =>
  collect(aggregate(fromArray(records), { op: 'aggregate', ...step }));

describe('aggregate', () => {
  const sales: DataRecord[] = [
    { region: 'EU', shop: 'a', amount: '10', note: 'x' },
    { region: 'US', shop: 'b', amount: ' 42 ', note: '' },
    { region: 'EU', shop: 'a', amount: '1e3' },
    { region: 'EU', shop: 'c', amount: 'n/a', note: null },
    { shop: 'd', amount: 5 },
    { region: 'US', shop: 'b', amount: '-2.5', note: 'y' },
  ];
  const metrics: AggregateStep['metrics'] = [
    { fn: 'count', as: 'rows' },
    { fn: 'count', field: 'note', as: 'notes' },
    { fn: 'sum', field: 'amount', as: 'total' },
    { fn: 'avg', field: 'amount', as: 'mean' },
    { fn: 'min', field: 'amount', as: 'low' },
    { fn: 'max', field: 'amount', as: 'high' },
  ];

  it('emits one record per group in order of first appearance, with numeric metrics', async () => {
    const out = await run(sales, { groupBy: ['region'], metrics });
    expect(out).toEqual([
      { region: 'EU', rows: 3, notes: 1, total: 1010, mean: 505, low: 10, high: 1000 },
      { region: 'US', rows: 2, notes: 1, total: 39.5, mean: 19.75, low: -2.5, high: 42 },
      { region: null, rows: 1, notes: 0, total: 5, mean: 5, low: 5, high: 5 },
    ]);
    expect(Object.keys(out[0] ?? {})).toEqual([
      'region',
      'rows',
      'notes',
      'total',
      'mean',
      'low',
      'high',
    ]);
  });

  it('groups by several fields; a group without numbers sums to 0 and has null avg/min/max', async () => {
    const out = await run(sales, { groupBy: ['region', 'shop'], metrics: metrics.slice(2) });
    expect(out).toEqual([
      { region: 'EU', shop: 'a', total: 1010, mean: 505, low: 10, high: 1000 },
      { region: 'US', shop: 'b', total: 39.5, mean: 19.75, low: -2.5, high: 42 },
      { region: 'EU', shop: 'c', total: 0, mean: null, low: null, high: null },
      { region: null, shop: 'd', total: 5, mean: 5, low: 5, high: 5 },
    ]);
  });

  it('keeps "1" and 1 as different groups', async () => {
    const out = await run([{ k: 1 }, { k: '1' }, { k: 1 }], {
      groupBy: ['k'],
      metrics: [{ fn: 'count', as: 'n' }],
    });
    expect(out).toEqual([
      { k: 1, n: 2 },
      { k: '1', n: 1 },
    ]);
  });

  it('with no groupBy, emits one total record, even for no input', async () => {
    expect(await run(sales, { groupBy: [], metrics: metrics.slice(0, 3) })).toEqual([
      { rows: 6, notes: 2, total: 1054.5 },
    ]);
    expect(await run([], { groupBy: [], metrics })).toEqual([
      { rows: 0, notes: 0, total: 0, mean: null, low: null, high: null },
    ]);
    expect(await run([], { groupBy: ['region'], metrics })).toEqual([]);
  });
});

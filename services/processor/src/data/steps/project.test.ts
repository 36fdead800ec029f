import { describe, expect, it } from '@jest/globals';
import { collect, fromArray } from '../iterables.js';
import type { DataRecord } from '../record.js';
import { project, type ProjectStep } from './project.js';

const run = (records: DataRecord[], options: Omit<ProjectStep, 'op'>) =>
  collect(project(fromArray(records), { op: 'project', ...options }));

describe('project', () => {
  const records: DataRecord[] = [
    { a: 1, b: 'x', c: null, d: true },
    { d: false, b: 'y' },
  ];

  it('keeps only the listed fields, in that order, omitting missing ones', async () => {
    const out = await run(records, { fields: ['d', 'a', 'c', 'zz'] });
    expect(out).toEqual([{ d: true, a: 1, c: null }, { d: false }]);
    expect(out.map((r) => Object.keys(r))).toEqual([['d', 'a', 'c'], ['d']]);
  });

  it('renames after selecting, keeping positions', async () => {
    const out = await run(records, { fields: ['b', 'a'], rename: { a: 'A', b: 'B', c: 'C' } });
    expect(out.map((r) => Object.entries(r))).toEqual([
      [
        ['B', 'x'],
        ['A', 1],
      ],
      [['B', 'y']],
    ]);
  });

  it('renames without selecting; swaps work and a rename onto an existing name replaces it', async () => {
    expect(await run([{ a: 1, b: 2, c: 3 }], { rename: { a: 'b', b: 'a' } })).toEqual([
      { b: 1, a: 2, c: 3 },
    ]);
    const out = await run([{ a: 1, b: 2, c: 3 }], { rename: { c: 'a' } });
    expect(out.map((r) => Object.entries(r))).toEqual([
      [
        ['b', 2],
        ['a', 3],
      ],
    ]);
  });
});

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { collect, fromArray } from '../iterables.js';
import type { DataRecord } from '../record.js';
import { sort, type SortStep } from './sort.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sort-test-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Files left anywhere under the test's temporary directory. */
async function leftovers(): Promise<string[]> {
  return (await readdir(tmp, { recursive: true })).map(String);
}

const by = (...keys: [string, 'asc' | 'desc'][]): SortStep => ({
  op: 'sort',
  by: keys.map(([field, dir]) => ({ field, dir })),
});

describe('sort in memory', () => {
  it('sorts numbers numerically, then text by code unit, blanks last, stably', async () => {
    const records: DataRecord[] = [
      { id: 1, v: '9' },
      { id: 2, v: 'b' },
      { id: 3, v: '10' },
      { id: 4, v: '' },
      { id: 5, v: ' 42 ' },
      { id: 6 },
      { id: 7, v: 'B' },
      { id: 8, v: '1e3' },
      { id: 9, v: '10.0' },
      { id: 10, v: null },
      { id: 11, v: 'é' },
      { id: 12, v: -1 },
    ];
    const ids = async (step: SortStep) =>
      (await collect(sort(fromArray(records), step))).map((r) => r.id);
    expect(await ids(by(['v', 'asc']))).toEqual([12, 1, 3, 9, 5, 8, 7, 2, 11, 4, 6, 10]);
    expect(await ids(by(['v', 'desc']))).toEqual([11, 2, 7, 8, 5, 3, 9, 1, 12, 4, 6, 10]);
  });

  it('sorts on several keys', async () => {
    const records: DataRecord[] = [
      { c: 'b', n: '1', id: 1 },
      { c: 'a', n: '2', id: 2 },
      { c: 'b', n: '10', id: 3 },
      { c: 'a', n: '10', id: 4 },
      { c: 'b', n: '10', id: 5 },
    ];
    const out = await collect(sort(fromArray(records), by(['c', 'asc'], ['n', 'desc'])));
    expect(out.map((r) => r.id)).toEqual([4, 2, 3, 5, 1]);
  });
});

describe('sort with spilled runs', () => {
  // 200 records, many ties on k, so stability across runs is visible
  const records: DataRecord[] = Array.from({ length: 200 }, (_, i) => ({
    i,
    k: (i * 37) % 11 === 0 ? '' : String((i * 7919) % 13),
    s: `s${(i * 31) % 17}`,
  }));
  const step = by(['k', 'desc'], ['s', 'asc']);

  it('gives exactly the in-memory result, merging runs in several passes', async () => {
    const expected = await collect(sort(fromArray(records), step));
    const seenDuringRun: string[][] = [];
    const out: DataRecord[] = [];
    for await (const record of sort(fromArray(records), step, {
      runSize: 7,
      maxOpenRuns: 3,
      tmpDir: tmp,
    })) {
      if (out.length === 0) seenDuringRun.push(await leftovers());
      out.push(record);
    }
    expect(out).toEqual(expected);
    // n.b. proves the merge path ran: run files existed while the output was read
    expect(seenDuringRun[0]?.some((f) => f.endsWith('.ndjson'))).toBe(true);
    expect(await leftovers()).toEqual([]);
    // stable: within equal keys, input order
    for (let j = 1; j < out.length; j++) {
      const [a, b] = [out[j - 1] as DataRecord, out[j] as DataRecord];
      if (a.k === b.k && a.s === b.s) expect(Number(a.i)).toBeLessThan(Number(b.i));
    }
  });

  it('deletes its run files when closed early', async () => {
    for await (const record of sort(fromArray(records), step, { runSize: 10, tmpDir: tmp })) {
      expect(record).toBeDefined();
      break;
    }
    expect(await leftovers()).toEqual([]);
  });

  it('deletes its run files when the input fails', async () => {
    async function* failing(): AsyncGenerator<DataRecord> {
      yield* records.slice(0, 50);
      throw new Error('source broke');
    }
    await expect(collect(sort(failing(), step, { runSize: 10, tmpDir: tmp }))).rejects.toThrow(
      'source broke',
    );
    expect(await leftovers()).toEqual([]);
  });
});

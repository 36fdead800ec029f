import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@conveyor/contracts';
import { compareSortKeys, sortKey, type SortKey } from '../compare.js';
import { fromArray } from '../iterables.js';
import { mergeSorted } from '../merge.js';
import { getField, type DataRecord } from '../record.js';
import { readRunFile, writeRunFile } from '../run-file.js';

export type SortStep = Extract<Step, { op: 'sort' }>;
type SortBy = SortStep['by'];

/** Options of the `sort` step. */
export interface SortOptions {
  /** Records sorted in memory at a time; larger inputs spill sorted runs to disk. Default 100 000. */
  runSize?: number;
  /** Runs merged at once; more runs are first merged in groups into longer runs. Default 64. */
  maxOpenRuns?: number;
  /** Where the temporary run files go. Default `os.tmpdir()`. */
  tmpDir?: string;
}

interface Keyed {
  record: DataRecord;
  keys: SortKey[];
}

function keyed(record: DataRecord, by: SortBy): Keyed {
  return { record, keys: by.map((b) => sortKey(getField(record, b.field))) };
}

function comparator(by: SortBy): (a: Keyed, b: Keyed) => number {
  return (a, b) => {
    for (let i = 0; i < by.length; i++) {
      const c = compareSortKeys(
        a.keys[i] as SortKey,
        b.keys[i] as SortKey,
        (by[i] as SortBy[number]).dir,
      );
      if (c !== 0) return c;
    }
    return 0;
  };
}

function keyedRun(path: string, by: SortBy): AsyncIterable<Keyed> {
  return readRunFile(path, (record) => keyed(record as DataRecord, by));
}

function* records(items: Iterable<Keyed>): Generator<DataRecord> {
  for (const item of items) yield item.record;
}

async function* unkeyed(items: AsyncIterable<Keyed>): AsyncGenerator<DataRecord> {
  for await (const item of items) yield item.record;
}

/**
 * The `sort` step: a stable sort on several keys (see {@link compareSortKeys} for the order
 * of values). Up to `runSize` records are sorted in memory; a larger input is cut into sorted
 * runs written to temporary NDJSON files and k-way merged, so memory stays bounded by
 * `runSize` whatever the input. The temporary files are deleted when the step ends, whether it
 * completes, fails or is closed early.
 */
export async function* sort(
  input: AsyncIterable<DataRecord>,
  step: SortStep,
  options: SortOptions = {},
): AsyncGenerator<DataRecord> {
  const runSize = options.runSize ?? 100_000;
  const maxOpenRuns = Math.max(2, options.maxOpenRuns ?? 64);
  const compare = comparator(step.by);
  let dir: string | undefined;
  const runs: string[] = [];
  let nextRun = 0;
  const newRunPath = async (): Promise<string> => {
    dir ??= await mkdtemp(join(options.tmpDir ?? tmpdir(), 'conveyor-sort-'));
    return join(dir, `run-${nextRun++}.ndjson`);
  };
  try {
    let buffer: Keyed[] = [];
    for await (const record of input) {
      buffer.push(keyed(record, step.by));
      if (buffer.length >= runSize) {
        const path = await newRunPath();
        await writeRunFile(path, records(buffer.sort(compare)));
        runs.push(path);
        buffer = [];
      }
    }
    buffer.sort(compare);
    if (runs.length === 0) {
      yield* records(buffer);
      return;
    }
    // n.b. merge consecutive runs only, so ties keep their input order
    while (runs.length + 1 > maxOpenRuns) {
      const group = runs.splice(0, maxOpenRuns);
      const path = await newRunPath();
      await writeRunFile(
        path,
        unkeyed(
          mergeSorted(
            group.map((p) => keyedRun(p, step.by)),
            compare,
          ),
        ),
      );
      await Promise.all(group.map((p) => rm(p, { force: true })));
      runs.unshift(path);
    }
    const sources: AsyncIterable<Keyed>[] = runs.map((p) => keyedRun(p, step.by));
    sources.push(fromArray(buffer));
    buffer = [];
    yield* unkeyed(mergeSorted(sources, compare));
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

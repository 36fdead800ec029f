import { describe, expect, it } from '@jest/globals';
import { collect } from '../iterables.js';
import type { DataRecord } from '../record.js';
import { limit } from './limit.js';

/** An endless source that records how many records were pulled and whether it was closed. */
function source() {
  const state = { pulled: 0, closed: false };
  async function* records(): AsyncGenerator<DataRecord> {
    try {
      for (;;) yield { i: ++state.pulled };
    } finally {
      state.closed = true;
    }
  }
  return { state, records: records() };
}

describe('limit', () => {
  it('passes the first n records, then stops pulling and closes upstream', async () => {
    const { state, records } = source();
    expect(await collect(limit(records, { op: 'limit', n: 3 }))).toEqual([
      { i: 1 },
      { i: 2 },
      { i: 3 },
    ]);
    expect(state).toEqual({ pulled: 3, closed: true });
  });

  it('with n = 0 pulls nothing', async () => {
    const { state, records } = source();
    expect(await collect(limit(records, { op: 'limit', n: 0 }))).toEqual([]);
    expect(state.pulled).toBe(0);
  });

  it('passes everything from a shorter input', async () => {
    async function* three(): AsyncGenerator<DataRecord> {
      yield* [{ i: 1 }, { i: 2 }, { i: 3 }];
    }
    expect(await collect(limit(three(), { op: 'limit', n: 10 }))).toHaveLength(3);
  });
});

import { describe, expect, it } from '@jest/globals';
import type { Step } from '@conveyor/contracts';
import { collect, fromArray } from './iterables.js';
import { runSteps } from './pipeline.js';
import type { DataRecord } from './record.js';

const records: DataRecord[] = [
  { ' Name ': ' Ada ', ' Team ': 'red', Score: '10' },
  { ' Name ': 'Grace', ' Team ': 'blue', Score: '9' },
  { ' Name ': 'Alan', ' Team ': 'red', Score: 'n/a' },
  { ' Name ': 'Ada', ' Team ': 'red', Score: '10' },
  { ' Name ': 'Edsger', ' Team ': 'blue', Score: ' 42 ' },
  { ' Name ': 'Barbara', ' Team ': 'green', Score: '1e3' },
];

describe('runSteps', () => {
  it('applies the steps in order', async () => {
    const steps: Step[] = [
      { op: 'clean', trim: true, normalizeKeys: true, dedupe: true },
      { op: 'filter', where: [{ field: 'score', gte: 9 }] },
      {
        op: 'aggregate',
        groupBy: ['team'],
        metrics: [
          { fn: 'count', as: 'players' },
          { fn: 'sum', field: 'score', as: 'total' },
        ],
      },
      { op: 'sort', by: [{ field: 'total', dir: 'desc' }] },
      { op: 'project', fields: ['team', 'total'], rename: { total: 'points' } },
      { op: 'limit', n: 2 },
    ];
    expect(
      await collect(runSteps(fromArray(records), steps, new AbortController().signal)),
    ).toEqual([
      { team: 'green', points: 1000 },
      { team: 'blue', points: 51 },
    ]);
  });

  it('passes records through unchanged with no steps', async () => {
    expect(await collect(runSteps(fromArray(records), [], new AbortController().signal))).toEqual(
      records,
    );
  });

  it('throws the abort reason between records and closes the source', async () => {
    const controller = new AbortController();
    let closed = false;
    async function* endless(): AsyncGenerator<DataRecord> {
      try {
        for (let i = 0; ; i++) yield { i };
      } finally {
        closed = true;
      }
    }
    const reason = new Error('cancelled by test');
    const out: DataRecord[] = [];
    await expect(
      (async () => {
        for await (const record of runSteps(
          endless(),
          [{ op: 'filter', where: [{ field: 'i', gte: 0 }] }],
          controller.signal,
        )) {
          out.push(record);
          if (out.length === 5) controller.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    expect(out).toHaveLength(5);
    expect(closed).toBe(true);
  });

  it('aborts a step that consumes its whole input (sort) before it emits', async () => {
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<DataRecord> {
      for (let i = 0; ; i++) {
        if (i === 1000) controller.abort(new Error('timeout'));
        yield { i };
      }
    }
    const steps: Step[] = [{ op: 'sort', by: [{ field: 'i', dir: 'desc' }] }];
    await expect(collect(runSteps(endless(), steps, controller.signal))).rejects.toThrow('timeout');
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    await expect(collect(runSteps(fromArray(records), [], controller.signal))).rejects.toThrow(
      'shutdown',
    );
  });
});

import type { Step } from '@conveyor/contracts';
import { toFiniteNumber } from '../numbers.js';
import { getField, isBlank, newRecord, setField, type DataRecord, type Scalar } from '../record.js';

export type AggregateStep = Extract<Step, { op: 'aggregate' }>;
type Metric = AggregateStep['metrics'][number];

/** Running state of one metric in one group. */
interface Accumulator {
  /** `count`: matching records; otherwise: numeric values seen. */
  n: number;
  sum: number;
  min: number;
  max: number;
}

interface Group {
  keys: Scalar[];
  acc: Accumulator[];
}

function accumulate(acc: Accumulator, metric: Metric, record: DataRecord): void {
  if (metric.fn === 'count') {
    if (metric.field === undefined || !isBlank(getField(record, metric.field))) acc.n++;
    return;
  }
  const v = toFiniteNumber(getField(record, metric.field as string));
  if (v === null) return;
  acc.n++;
  acc.sum += v;
  if (v < acc.min) acc.min = v;
  if (v > acc.max) acc.max = v;
}

function result(acc: Accumulator, metric: Metric): number | null {
  switch (metric.fn) {
    case 'count':
      return acc.n;
    case 'sum':
      return acc.sum;
    case 'avg':
      return acc.n === 0 ? null : acc.sum / acc.n;
    case 'min':
      return acc.n === 0 ? null : acc.min;
    case 'max':
      return acc.n === 0 ? null : acc.max;
  }
}

/**
 * The `aggregate` step: groups records by the values of `groupBy` (a missing field groups as
 * `null`; `"1"` and `1` are different groups) and emits one record per group, in order of
 * first appearance, holding the `groupBy` fields and then each metric under its `as` name.
 * - `count` counts the group's records; with a `field`, those where it is present and not
 *   blank (`null` / `""`).
 * - `sum` / `avg` / `min` / `max` use the values that parse as finite numbers and ignore the
 *   rest; with none, `sum` is 0 and the others are `null`.
 * With an empty `groupBy` there is exactly one output record, even for no input.
 * Memory grows with the number of groups, not of records.
 */
export async function* aggregate(
  records: AsyncIterable<DataRecord>,
  step: AggregateStep,
): AsyncGenerator<DataRecord> {
  const groups = new Map<string, Group>();
  const newGroup = (keys: Scalar[]): Group => ({
    keys,
    acc: step.metrics.map(() => ({ n: 0, sum: 0, min: Infinity, max: -Infinity })),
  });
  if (step.groupBy.length === 0) groups.set('[]', newGroup([]));
  for await (const record of records) {
    const keys = step.groupBy.map((field) => getField(record, field) ?? null);
    const id = JSON.stringify(keys);
    let group = groups.get(id);
    if (!group) {
      group = newGroup(keys);
      groups.set(id, group);
    }
    for (let i = 0; i < step.metrics.length; i++) {
      accumulate(group.acc[i] as Accumulator, step.metrics[i] as Metric, record);
    }
  }
  for (const group of groups.values()) {
    const out = newRecord();
    step.groupBy.forEach((field, i) => setField(out, field, group.keys[i] as Scalar));
    step.metrics.forEach((metric, i) =>
      setField(out, metric.as, result(group.acc[i] as Accumulator, metric)),
    );
    yield out;
  }
}

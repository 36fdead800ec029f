import type { FilterCondition, Step } from '@conveyor/contracts';
import { valuesEqual } from '../compare.js';
import { toFiniteNumber } from '../numbers.js';
import { getField, type DataRecord, type Scalar } from '../record.js';

export type FilterStep = Extract<Step, { op: 'filter' }>;

function numeric(
  value: Scalar | undefined,
  bound: number | string,
  test: (a: number, b: number) => boolean,
): boolean {
  const a = toFiniteNumber(value);
  const b = toFiniteNumber(bound);
  return a !== null && b !== null && test(a, b);
}

/**
 * Whether one record satisfies one condition.
 * - `eq` / `ne` / `in`: see {@link valuesEqual} (numeric when both sides are numbers, strict for
 *   booleans and null, string equality otherwise; a missing field is `null`).
 * - `gt` / `gte` / `lt` / `lte`: hold only when both sides parse as finite numbers, so `"abc"`
 *   and `""` satisfy none of them.
 * - `contains`: case-sensitive substring of the value's string form; never holds for a
 *   missing or `null` value.
 */
export function matches(record: DataRecord, c: FilterCondition): boolean {
  const value = getField(record, c.field);
  if (c.eq !== undefined) return valuesEqual(value, c.eq);
  if (c.ne !== undefined) return !valuesEqual(value, c.ne);
  if (c.gt !== undefined) return numeric(value, c.gt, (a, b) => a > b);
  if (c.gte !== undefined) return numeric(value, c.gte, (a, b) => a >= b);
  if (c.lt !== undefined) return numeric(value, c.lt, (a, b) => a < b);
  if (c.lte !== undefined) return numeric(value, c.lte, (a, b) => a <= b);
  if (c.in !== undefined) return c.in.some((expected) => valuesEqual(value, expected));
  if (c.contains !== undefined) {
    return value !== undefined && value !== null && String(value).includes(c.contains);
  }
  // n.b. the contract's schema guarantees exactly one operator
  throw new Error(`filter condition on "${c.field}" has no operator`);
}

/** The `filter` step: keeps the records that satisfy every condition of `where`. */
export async function* filter(
  records: AsyncIterable<DataRecord>,
  step: FilterStep,
): AsyncGenerator<DataRecord> {
  for await (const record of records) {
    if (step.where.every((c) => matches(record, c))) yield record;
  }
}

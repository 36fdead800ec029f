import { toFiniteNumber } from './numbers.js';
import type { Scalar } from './record.js';

/**
 * Equality as `filter` (`eq`, `ne`, `in`) sees it. A missing field counts as `null`.
 * - Both sides parse as finite numbers: numeric equality (`"10"` equals `10` and `"1e1"`).
 * - Either side is a boolean or `null`: strict equality (`true` does not equal `"true"`).
 * - Otherwise: the string forms are equal.
 */
export function valuesEqual(value: Scalar | undefined, expected: Scalar): boolean {
  const actual = value === undefined ? null : value;
  const a = toFiniteNumber(actual);
  const b = toFiniteNumber(expected);
  if (a !== null && b !== null) return a === b;
  if (
    actual === null ||
    expected === null ||
    typeof actual === 'boolean' ||
    typeof expected === 'boolean'
  ) {
    return actual === expected;
  }
  return String(actual) === String(expected);
}

/**
 * A value reduced to what `sort` compares: a number for values that parse as finite numbers,
 * the string form for other values, `null` for missing, `null` and `""`. Computing it once per
 * record keeps number parsing out of the O(n log n) comparisons.
 */
export type SortKey = number | string | null;

/** The sort key of one field value. */
export function sortKey(value: Scalar | undefined): SortKey {
  if (value === undefined || value === null || value === '') return null;
  return toFiniteNumber(value) ?? String(value);
}

/**
 * Total order used by `sort` for one key: numbers compare numerically and come before other
 * values, which compare by plain string comparison (UTF-16 code units, no locale); blanks
 * (missing, `null`, `""`) come last whatever the direction. `desc` reverses the order of the
 * non-blank values.
 */
export function compareSortKeys(a: SortKey, b: SortKey, dir: 'asc' | 'desc'): number {
  if (a === null || b === null) return (a === null ? 1 : 0) - (b === null ? 1 : 0);
  let c: number;
  if (typeof a === 'number') c = typeof b === 'number' ? a - b : -1;
  else if (typeof b === 'number') c = 1;
  else c = a < b ? -1 : a > b ? 1 : 0;
  return dir === 'desc' ? -c : c;
}

import type { DataRecord, Scalar } from '../record.js';
import { toFiniteNumber } from '../numbers.js';

/** Options of the `analyze` step. */
export interface AnalyzeOptions {
  /**
   * Distinct values tracked exactly per field; past it tracking stops and the field reports
   * `distinct` = this cap with `distinctCapped: true`. Default 100 000.
   */
  distinctCap?: number;
}

type Kind = 'number' | 'string' | 'boolean';

interface FieldStats {
  count: number;
  nulls: number;
  kinds: Set<Kind>;
  distinct: Set<string> | null;
  numbers: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * The `analyze` step: consumes every record and emits one record per field, in order of first
 * appearance: `{field, type, count, nulls, distinct, distinctCapped, min, max, mean}`.
 * - `count`: records that have the field; `nulls`: of those, values `null` or `""`.
 * - `type`: `empty` when every value is blank, else `number` (numbers and numeric strings
 *   such as `"42"`), `string` or `boolean`, or `mixed` when the non-blank values differ.
 * - `distinct`: distinct non-blank values (`1` and `"1"` differ), exact up to the cap.
 * - `min` / `max` / `mean`: when `type` is `number`, else `null`.
 */
export async function* analyze(
  records: AsyncIterable<DataRecord>,
  options: AnalyzeOptions = {},
): AsyncGenerator<DataRecord> {
  const cap = options.distinctCap ?? 100_000;
  const fields = new Map<string, FieldStats>();
  for await (const record of records) {
    for (const key of Object.keys(record)) {
      let s = fields.get(key);
      if (!s) {
        s = {
          count: 0,
          nulls: 0,
          kinds: new Set(),
          distinct: new Set(),
          numbers: 0,
          sum: 0,
          min: Infinity,
          max: -Infinity,
        };
        fields.set(key, s);
      }
      s.count++;
      const value = record[key] as Scalar;
      if (value === null || value === '') {
        s.nulls++;
        continue;
      }
      const n = toFiniteNumber(value);
      const kind: Kind = typeof value === 'boolean' ? 'boolean' : n !== null ? 'number' : 'string';
      s.kinds.add(kind);
      if (s.distinct) {
        s.distinct.add(`${typeof value}:${String(value)}`);
        // n.b. one past the cap proves there are more than cap: stop and free the set
        if (s.distinct.size > cap) s.distinct = null;
      }
      if (n !== null) {
        s.numbers++;
        s.sum += n;
        if (n < s.min) s.min = n;
        if (n > s.max) s.max = n;
      }
    }
  }
  for (const [field, s] of fields) {
    const type =
      s.kinds.size === 0 ? 'empty' : s.kinds.size > 1 ? 'mixed' : ([...s.kinds][0] as Kind);
    const numeric = type === 'number';
    yield {
      field,
      type,
      count: s.count,
      nulls: s.nulls,
      distinct: s.distinct ? s.distinct.size : cap,
      distinctCapped: s.distinct === null,
      min: numeric ? s.min : null,
      max: numeric ? s.max : null,
      mean: numeric ? s.sum / s.numbers : null,
    };
  }
}

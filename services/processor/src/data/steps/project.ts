import type { Step } from '@conveyor/contracts';
import { getField, newRecord, setField, type DataRecord } from '../record.js';

export type ProjectStep = Extract<Step, { op: 'project' }>;

/**
 * The `project` step: `fields` keeps only those fields, in that order (fields a record lacks
 * are omitted); then `rename` maps keys `{from: to}` (a field renamed onto an existing name
 * replaces that field; fields keep their positions; swaps such as `{a: 'b', b: 'a'}` work).
 */
export async function* project(
  records: AsyncIterable<DataRecord>,
  step: ProjectStep,
): AsyncGenerator<DataRecord> {
  const rename = step.rename ? new Map(Object.entries(step.rename)) : null;
  for await (const input of records) {
    let record = input;
    if (step.fields) {
      record = newRecord();
      for (const field of step.fields) {
        const value = getField(input, field);
        if (value !== undefined) setField(record, field, value);
      }
    }
    if (rename) {
      const keys = Object.keys(record);
      const targets = new Set(keys.filter((k) => rename.has(k)).map((k) => rename.get(k)));
      const renamed = newRecord();
      for (const key of keys) {
        const to = rename.get(key);
        // n.b. a field renamed onto an existing name replaces the field that had it
        if (to === undefined && targets.has(key)) continue;
        setField(renamed, to ?? key, record[key] as DataRecord[string]);
      }
      record = renamed;
    }
    yield record;
  }
}

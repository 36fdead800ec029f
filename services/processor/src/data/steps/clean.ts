import { createHash } from 'node:crypto';
import type { Step } from '@conveyor/contracts';
import { newRecord, setField, type DataRecord } from '../record.js';

export type CleanStep = Extract<Step, { op: 'clean' }>;

/** `normalizeKeys`: trim, lower case, runs of white space to `_` (`" First  Name"` -> `first_name`). */
export function normalizeKey(key: string): string {
  return key.trim().toLowerCase().replace(/\s+/g, '_');
}

// Distinct keys whose normalized form is remembered; records mostly share their keys.
const KEY_CACHE_SIZE = 10_000;

function cachedNormalizeKey(): (key: string) => string {
  const cache = new Map<string, string>();
  return (key) => {
    let out = cache.get(key);
    if (out === undefined) {
      out = normalizeKey(key);
      if (cache.size < KEY_CACHE_SIZE) cache.set(key, out);
    }
    return out;
  };
}

/**
 * A fixed-size fingerprint of a record's content: SHA-1 of its entries sorted by key, so
 * `{a:1,b:2}` and `{b:2,a:1}` are the same record, while `1` and `"1"` are not.
 */
function fingerprint(record: DataRecord): string {
  const entries = Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // n.b. 'binary' (latin1) keeps the 20 digest bytes as a 20-character string, the smallest key a Set holds
  return createHash('sha1').update(JSON.stringify(entries)).digest('binary');
}

/**
 * The `clean` step: per record, optionally trims string values, normalizes keys (when two keys
 * normalize to the same name the later value wins), drops empty (`""` / `null`) fields, then
 * drops records equal to an earlier one. Dedupe remembers a 20-byte fingerprint per distinct
 * record, not the record.
 */
export async function* clean(
  records: AsyncIterable<DataRecord>,
  step: CleanStep,
): AsyncGenerator<DataRecord> {
  const seen = step.dedupe ? new Set<string>() : null;
  const rebuild = step.trim || step.normalizeKeys || step.dropEmpty;
  const normalized = step.normalizeKeys ? cachedNormalizeKey() : null;
  for await (const input of records) {
    let record = input;
    if (rebuild) {
      record = newRecord();
      for (const key of Object.keys(input)) {
        let value = input[key] as DataRecord[string];
        if (step.trim && typeof value === 'string') value = value.trim();
        if (step.dropEmpty && (value === '' || value === null)) continue;
        setField(record, normalized ? normalized(key) : key, value);
      }
    }
    if (seen) {
      const key = fingerprint(record);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    yield record;
  }
}

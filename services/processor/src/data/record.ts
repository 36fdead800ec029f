import type { DataRecord } from '@conveyor/contracts';

export type { DataRecord };

/** A value a record field may hold. */
export type Scalar = DataRecord[string];

/** A new, empty record. Write user-chosen keys with {@link setField}. */
export function newRecord(): DataRecord {
  // n.b. an ordinary object, not Object.create(null): V8 keeps those in slow dictionary mode
  return {};
}

/**
 * Sets a field whatever its name: `__proto__` becomes an ordinary own field instead of
 * replacing the record's prototype (other names such as `constructor` need no care when
 * written, and are read with {@link getField}).
 */
export function setField(record: DataRecord, key: string, value: Scalar): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else record[key] = value;
}

/** The field's value, or `undefined` when the record has no such own field. */
export function getField(record: DataRecord, field: string): Scalar | undefined {
  return Object.hasOwn(record, field) ? record[field] : undefined;
}

/** True for a value that counts as "no value": missing, `null` or the empty string. */
export function isBlank(value: Scalar | undefined): value is null | undefined | '' {
  return value === undefined || value === null || value === '';
}

/** True when `value` is a flat object whose values are all strings, finite numbers, booleans or null. */
export function isFlatRecord(value: unknown): value is DataRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number' && Number.isFinite(v)) continue;
    return false;
  }
  return true;
}

/** The string form of a scalar as filters, sort and CSV see it (`null` is the empty string). */
export function scalarText(value: Scalar | undefined): string {
  return value === undefined || value === null ? '' : String(value);
}

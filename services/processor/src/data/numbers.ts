import type { Scalar } from './record.js';

// Plain decimal notation only: "0x10", "Infinity" or "1_000" are text, not numbers.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The value as a finite number when it is one or is a string in decimal notation (surrounding
 * white space ignored: `" 42 "` is 42, `"1e3"` is 1000); otherwise `null` (booleans, `""`,
 * `"abc"`, `null`, missing).
 */
export function toFiniteNumber(value: Scalar | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!DECIMAL.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

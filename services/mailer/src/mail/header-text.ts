import { EMAIL_LIMITS } from '@conveyor/contracts';

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/u;
const LINE_BREAKING_RUNS = /[\u0000-\u001f\u007f\u2028\u2029]+/gu;

/** True if `value` holds CR, LF or any other control character (header injection material). */
export function hasControlChars(value: string): boolean {
  return CONTROL_CHARS.test(value);
}

/**
 * A header-safe line: control characters (CR/LF) and line separators become spaces, runs of
 * whitespace collapse, and the result is capped at the subject limit (998) code points.
 */
export function oneLine(value: string): string {
  const line = value
    .replace(LINE_BREAKING_RUNS, ' ')
    .replace(/\s{2,}/gu, ' ')
    .trim();
  // n.b. cut by code point so a surrogate pair (emoji) is never split
  return line.length <= EMAIL_LIMITS.subjectLength
    ? line
    : Array.from(line).slice(0, EMAIL_LIMITS.subjectLength).join('').trimEnd();
}

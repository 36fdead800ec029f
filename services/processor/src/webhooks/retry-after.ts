/**
 * A `Retry-After` header in ms from now: delay-seconds or an HTTP date (RFC 9110 §10.2.3),
 * capped at `maxMs`; undefined when absent or unreadable (the job's backoff applies).
 */
export function retryAfterMs(
  value: string | string[] | undefined,
  maxMs: number,
  now = Date.now(),
): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const t = text.trim();
  let ms: number;
  if (/^\d+$/.test(t)) ms = Number(t) * 1000;
  else {
    // n.b. an HTTP date names its day and month; Date.parse alone reads "-5" as a year
    if (!/[a-z]/i.test(t)) return undefined;
    const date = Date.parse(t);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(0, ms), maxMs);
}

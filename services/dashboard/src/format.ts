/** `2026-12-02 08:01:05` in the browser's zone (compact, sortable). */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A duration: `850 ms`, `12 s`, `3 min 4 s`, `2 h 5 min`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** How long ago `iso` was, from `now`. */
export const ago = (iso: string | null | undefined, now = Date.now()) =>
  iso ? `${duration(Math.max(0, now - new Date(iso).getTime()))} ago` : '—';

/**
 * A rate in messages per second, or a dash when the broker did not tell. Slow flows keep two
 * decimals: a job every half minute is 0.03/s, which one decimal showed as 0.0/s.
 */
export const rate = (r: number | null) =>
  r === null ? '—' : r === 0 ? '0/s' : `${r < 0.1 ? r.toFixed(2) : r.toFixed(1)}/s`;

export const count = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : n.toLocaleString('en');

/** A `datetime-local` input's value as ISO 8601 (UTC), or undefined when empty. */
export function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

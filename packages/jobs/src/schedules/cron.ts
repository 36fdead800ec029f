import { CronTime } from 'cron';
import { isTimeZone } from '@conveyor/contracts';

/** A cron expression that does not parse, or an unknown time zone. */
export class InvalidCronError extends Error {
  override readonly name = 'InvalidCronError';
  readonly code = 'INVALID_CRON';
  constructor(
    readonly field: 'cron' | 'timezone',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses a 5-field (`m h dom mon dow`) or 6-field (`s m h dom mon dow`) cron expression in
 * an IANA time zone. Throws {@link InvalidCronError} naming the bad part. DST follows the
 * `cron` library: a wall time skipped by a spring-forward fires at the first valid instant
 * after it, a wall time repeated by a fall-back fires once.
 */
export function parseCron(expr: string, tz: string): CronTime {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new InvalidCronError(
      'cron',
      `expected 5 or 6 fields (seconds optional), got ${fields.length}`,
    );
  }
  if (!isTimeZone(tz)) throw new InvalidCronError('timezone', `unknown time zone ${tz}`);
  let ct: CronTime;
  try {
    ct = new CronTime(fields.join(' '), tz);
  } catch (err) {
    throw new InvalidCronError('cron', (err as Error).message);
  }
  const [dom, month, dow] = fields.slice(-3) as [string, string, string];
  if (impossibleDate(dom, month, dow)) throw new InvalidCronError('cron', NEVER_FIRES);
  try {
    // n.b. the library searches years ahead before giving up; the check above answers the
    // common impossible dates (31 February) without that search.
    ct.getNextDateFrom(new Date(), tz);
  } catch {
    throw new InvalidCronError('cron', NEVER_FIRES);
  }
  return ct;
}

const NEVER_FIRES = 'the expression never fires (no such date, e.g. 31 February)';
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const numberList = (field: string): number[] | null =>
  /^\d+(,\d+)*$/.test(field) ? field.split(',').map(Number) : null;

/**
 * True when plain day-of-month and month lists name no real date (with any weekday allowed:
 * a restricted weekday makes the library fire on either, so it can always fire).
 */
function impossibleDate(dom: string, month: string, dow: string): boolean {
  if (dow !== '*' && dow !== '?') return false;
  const days = numberList(dom);
  const months = numberList(month);
  if (!days || !months) return false;
  return !months.some((m) => days.some((d) => d >= 1 && d <= (DAYS_IN_MONTH[m - 1] ?? 0)));
}

/** The next `n` fire times strictly after `after`. */
export function nextFireTimes(expr: string | CronTime, tz: string, after: Date, n: number): Date[] {
  const ct = typeof expr === 'string' ? parseCron(expr, tz) : expr;
  const out: Date[] = [];
  let from = after;
  for (let i = 0; i < n; i++) {
    from = ct.getNextDateFrom(from, tz).toJSDate();
    out.push(from);
  }
  return out;
}

/** The first fire time strictly after `after`. */
export function nextFireTime(expr: string | CronTime, tz: string, after: Date): Date {
  return nextFireTimes(expr, tz, after, 1)[0]!;
}

/** Fire times in `[first, now]`: how many there are (counted up to `cap`) and the latest. */
export interface DueFireTimes {
  count: number;
  latest: Date | null;
  /** More than `cap` were due; `count` is then a lower bound. */
  capped: boolean;
}

/**
 * The fire times due between `first` (itself a fire time, the stored `nextFireAt`) and
 * `now`. Counting stops at `cap`; the latest is then found by searching back from `now`, so a
 * per-second schedule that was stopped for a day costs no more than `cap` steps.
 */
export function dueFireTimes(
  expr: string | CronTime,
  tz: string,
  first: Date,
  now: Date,
  cap = 10_000,
): DueFireTimes {
  if (first.getTime() > now.getTime()) return { count: 0, latest: null, capped: false };
  const ct = typeof expr === 'string' ? parseCron(expr, tz) : expr;
  let latest = first;
  let count = 1;
  for (;;) {
    const next = ct.getNextDateFrom(latest, tz).toJSDate();
    if (next.getTime() > now.getTime()) return { count, latest, capped: false };
    latest = next;
    if (++count >= cap) break;
  }
  // n.b. widen the look-back window until it holds a fire time; the loop above proved one exists.
  for (const backMs of [60_000, 3600_000, 86_400_000, 31 * 86_400_000, 366 * 86_400_000]) {
    const start = new Date(Math.max(now.getTime() - backMs, latest.getTime()));
    let last: Date | null = null;
    let t = ct.getNextDateFrom(start, tz).toJSDate();
    let steps = 0;
    while (t.getTime() <= now.getTime() && steps++ < cap) {
      last = t;
      t = ct.getNextDateFrom(t, tz).toJSDate();
    }
    if (last && steps < cap) return { count, latest: last, capped: true };
  }
  return { count, latest, capped: true };
}

import { describe, expect, it } from '@jest/globals';
import { InvalidCronError, dueFireTimes, nextFireTimes, parseCron } from './cron.js';

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('cron math', () => {
  it('accepts 5 and 6 fields and rejects others, bad values and unknown zones', () => {
    expect(() => parseCron('*/5 * * * *', 'UTC')).not.toThrow();
    expect(() => parseCron('*/10 * * * * *', 'Europe/Berlin')).not.toThrow();
    expect(() => parseCron('* * * *', 'UTC')).toThrow(InvalidCronError);
    expect(() => parseCron('61 * * * *', 'UTC')).toThrow(/out of range/);
    expect(() => parseCron('* * * * *', 'Mars/Olympus')).toThrow(
      expect.objectContaining({ field: 'timezone' }),
    );
  });

  it('computes the next fire times strictly after a date, with seconds', () => {
    expect(
      iso(nextFireTimes('*/20 * * * * *', 'UTC', new Date('2026-01-01T00:00:20Z'), 3)),
    ).toEqual(['2026-01-01T00:00:40.000Z', '2026-01-01T00:01:00.000Z', '2026-01-01T00:01:20.000Z']);
  });

  it('Europe/Berlin spring forward: a skipped 02:30 fires at 03:00, then back to 02:30 local', () => {
    expect(
      iso(nextFireTimes('30 2 * * *', 'Europe/Berlin', new Date('2026-03-28T00:00:00Z'), 3)),
    ).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: 02:30 does not exist
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('America/New_York fall back: a repeated 01:30 fires once, and 09:00 stays 09:00 local', () => {
    expect(
      iso(nextFireTimes('30 1 * * *', 'America/New_York', new Date('2026-10-31T00:00:00Z'), 3)),
    ).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z', // first 01:30 (EDT); the EST repeat does not fire
      '2026-11-02T06:30:00.000Z',
    ]);
    expect(
      iso(nextFireTimes('0 9 * * *', 'America/New_York', new Date('2026-10-31T00:00:00Z'), 2)),
    ).toEqual(['2026-10-31T13:00:00.000Z', '2026-11-01T14:00:00.000Z']);
  });

  it('counts due fire times and finds the latest, also past the cap', () => {
    const first = new Date('2026-01-01T00:00:00Z');
    expect(dueFireTimes('* * * * * *', 'UTC', first, new Date('2026-01-01T00:00:03.500Z'))).toEqual(
      {
        count: 4,
        latest: new Date('2026-01-01T00:00:03Z'),
        capped: false,
      },
    );
    expect(dueFireTimes('* * * * * *', 'UTC', new Date('2026-01-01T00:00:05Z'), first).count).toBe(
      0,
    );
    const big = dueFireTimes(
      '* * * * * *',
      'UTC',
      first,
      new Date('2026-01-02T00:00:00.200Z'),
      1000,
    );
    expect(big).toEqual({ count: 1000, latest: new Date('2026-01-02T00:00:00Z'), capped: true });
  });
});

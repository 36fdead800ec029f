import { describe, expect, it } from '@jest/globals';
import { collect, fromArray } from '../iterables.js';
import type { DataRecord } from '../record.js';
import { clean, normalizeKey, type CleanStep } from './clean.js';

const run = (records: DataRecord[], options: Omit<CleanStep, 'op'>) =>
  collect(clean(fromArray(records), { op: 'clean', ...options }));

describe('clean', () => {
  const messy: DataRecord[] = [
    {
      ' First  Name ': ' Ada ',
      'E-Mail\tAddress': 'ada@example.com ',
      Age: ' 36 ',
      Note: '',
      Extra: null,
    },
    {
      ' First  Name ': 'Ada',
      'E-Mail\tAddress': 'ada@example.com',
      Age: ' 36',
      Note: '  ',
      Extra: null,
    },
    {
      ' First  Name ': 'Grace',
      'E-Mail\tAddress': 'grace@example.com',
      Age: 85,
      Note: 'x',
      Extra: true,
    },
  ];

  it('normalizes keys: trim, lower case, runs of white space to _', () => {
    expect(normalizeKey(' First  Name ')).toBe('first_name');
    expect(normalizeKey('E-Mail\tAddress')).toBe('e-mail_address');
    expect(normalizeKey('ÉTÉ Été')).toBe('été_été');
  });

  it('trims, normalizes keys, drops empty fields and dedupes, in that order', async () => {
    expect(
      await run(messy, { trim: true, normalizeKeys: true, dropEmpty: true, dedupe: true }),
    ).toEqual([
      { first_name: 'Ada', 'e-mail_address': 'ada@example.com', age: '36' },
      {
        first_name: 'Grace',
        'e-mail_address': 'grace@example.com',
        age: 85,
        note: 'x',
        extra: true,
      },
    ]);
  });

  it('keeps whitespace-only values unless trimmed, and keeps records as they are without options', async () => {
    expect(await run(messy, { dropEmpty: true })).toEqual([
      { ' First  Name ': ' Ada ', 'E-Mail\tAddress': 'ada@example.com ', Age: ' 36 ' },
      { ' First  Name ': 'Ada', 'E-Mail\tAddress': 'ada@example.com', Age: ' 36', Note: '  ' },
      messy[2],
    ]);
    expect(await run(messy, {})).toEqual(messy);
  });

  it('dedupes on content regardless of key order, but distinguishes 1 from "1"', async () => {
    const records: DataRecord[] = [
      { a: 1, b: 'x' },
      { b: 'x', a: 1 },
      { a: '1', b: 'x' },
      { a: 1, b: 'x' },
      { a: 1 },
    ];
    expect(await run(records, { dedupe: true })).toEqual([
      { a: 1, b: 'x' },
      { a: '1', b: 'x' },
      { a: 1 },
    ]);
  });

  it('lets the later value win when two keys normalize alike', async () => {
    expect(await run([{ Name: 'a', ' name ': 'b', z: 1 }], { normalizeKeys: true })).toEqual([
      { name: 'b', z: 1 },
    ]);
  });
});

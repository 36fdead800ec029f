import { describe, expect, it } from '@jest/globals';
import { detectFormat } from './data-source.js';

describe('detectFormat', () => {
  it.each([
    ['people.csv', 'application/octet-stream', 'csv'],
    ['PEOPLE.CSV', 'text/plain', 'csv'],
    ['events.jsonl', 'application/octet-stream', 'ndjson'],
    ['events.ndjson', 'application/json', 'ndjson'],
    ['list.json', 'text/csv', 'json'],
    ['export', 'text/csv; charset=utf-8', 'csv'],
    ['export.txt', 'Application/JSON', 'json'],
    ['export', 'application/x-ndjson', 'ndjson'],
    ['export.xlsx', 'application/octet-stream', null],
    ['csv', 'text/plain', null],
  ] as const)('reads %j (%s) as %s', (filename, contentType, format) => {
    expect(detectFormat({ filename, contentType })).toBe(format);
  });
});

import { describe, expect, it } from '@jest/globals';
import { isXmlElementName } from './xml-format.js';

describe('isXmlElementName', () => {
  it.each([
    'name',
    '_id',
    'first_name',
    'e-mail',
    'v1.2',
    'été',
    'e\u0301t\u0301',
    '東京',
    'Ōtani',
    'x\u00B7y',
  ])('accepts %j', (name) => {
    expect(isXmlElementName(name)).toBe(true);
  });

  it.each([
    '',
    '1st',
    '-x',
    '.x',
    'a b',
    'a:b',
    'xml',
    'XMLid',
    'xml-id',
    'a<b',
    'a"b',
    'a\u0000',
    '\u0301e',
  ])('rejects %j', (name) => {
    expect(isXmlElementName(name)).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { InvalidAddressError, asciiDomainOf, toMailAddress } from './addresses.js';
import { messageIdForJob } from './message-id.js';

describe('toMailAddress', () => {
  it.each([
    ['ann@example.com', { name: '', address: 'ann@example.com' }],
    ['"Ann Example" <ann@example.com>', { name: 'Ann Example', address: 'ann@example.com' }],
    ['Grüße Ann <ann@exämple.com>', { name: 'Grüße Ann', address: 'ann@exämple.com' }],
    [
      '"Bob <evil@example.org>" <bob@example.com>',
      { name: 'Bob <evil@example.org>', address: 'bob@example.com' },
    ],
  ])('%s -> %j', (input, expected) => {
    expect(toMailAddress(input)).toEqual(expected);
  });

  it.each([
    'ann@example.com\r\nBcc: evil@example.org',
    'Ann <ann@example.com>\nX: y',
    'a@example.com, b@example.com',
    'nobody',
  ])('refuses %j', (input) => {
    expect(() => toMailAddress(input)).toThrow(InvalidAddressError);
  });
});

describe('messageIdForJob', () => {
  it('is deterministic per job id', () => {
    expect(messageIdForJob('665f1c2ab0e4a1d2c3b4a596', 'conveyor.local')).toBe(
      '<job-665f1c2ab0e4a1d2c3b4a596@conveyor.local>',
    );
    expect(messageIdForJob('a-b_c', 'x.example')).toBe(messageIdForJob('a-b_c', 'x.example'));
  });

  it('hashes ids that could break the header', () => {
    const id = messageIdForJob('a>b\r\nX: y', 'x.example');
    expect(id).toMatch(/^<job-h[0-9a-f]{64}@x\.example>$/);
    expect(id).toBe(messageIdForJob('a>b\r\nX: y', 'x.example'));
  });

  it('uses the ASCII form of a unicode domain', () => {
    expect(asciiDomainOf('ann@exämple.com')).toBe('xn--exmple-cua.com');
  });
});

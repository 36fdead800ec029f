import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { catalogueEntryOf } from './catalogue.js';
import { defineJobType } from './job-type.js';
import { emailSend } from './job-types/email.js';
import { fieldSearchKey, SEARCH_LIMITS, searchKeysOf, wordSearchKeys } from './search.js';

describe('searchKeysOf', () => {
  it('keys the scalars at declared paths, one per array element, and the words of strings', () => {
    const payload = {
      to: ['Alice@Example.com', 'bob@example.com'],
      customer: { id: 42, vip: true, tags: { a: 1 } },
      body: 'not declared',
    };
    expect(searchKeysOf(payload, ['to', 'customer.id', 'customer.vip', 'customer.tags'])).toEqual([
      'to=alice@example.com',
      'to=bob@example.com',
      'customer.id=42',
      'customer.vip=true',
      '~alice',
      '~example',
      '~com',
      '~bob',
    ]);
  });

  it('takes the top-level scalar fields when the type declares nothing', () => {
    expect(
      searchKeysOf(
        { to: 'ann@example.com', n: 3, nested: { x: 1 }, list: ['A', { y: 2 }] },
        undefined,
      ),
    ).toEqual(['to=ann@example.com', 'n=3', 'list=a', '~ann', '~example', '~com']);
    expect(searchKeysOf({ to: 'ann@example.com' }, [])).toEqual([]);
    expect(searchKeysOf('just a string', undefined)).toEqual([]);
  });

  it('caps values, field keys and words', () => {
    const long = 'x'.repeat(500);
    expect(searchKeysOf({ v: long }, ['v'])[0]).toBe(`v=${'x'.repeat(SEARCH_LIMITS.valueChars)}`);
    // a search for the long value finds it: the search value is cut alike
    expect(fieldSearchKey('v', long)).toBe(searchKeysOf({ v: long }, ['v'])[0]);
    const many = searchKeysOf({ to: Array.from({ length: 100 }, (_, i) => `w${i}`) }, ['to']);
    expect(many.filter((k) => !k.startsWith('~'))).toHaveLength(SEARCH_LIMITS.fieldKeys);
    expect(many.filter((k) => k.startsWith('~'))).toHaveLength(SEARCH_LIMITS.wordKeys);
  });

  it('splits words on anything but letters and digits, ignoring case and one-letter words', () => {
    expect(wordSearchKeys('Invoice #2026-17 for Zoë, a b')).toEqual([
      '~invoice',
      '~2026',
      '~17',
      '~for',
      '~zoë',
    ]);
  });
});

describe('searchable paths of a job type', () => {
  it('are checked by defineJobType and published in the catalogue entry', () => {
    const payload = z.object({ customer: z.object({ id: z.string() }) });
    expect(() => defineJobType({ name: 'acme.x', payload, search: ['customer..id'] })).toThrow(
      /search path "customer..id" must be dotted names/,
    );
    expect(() => defineJobType({ name: 'acme.x', payload, search: ['a.b.c.d.e'] })).toThrow(
      /at most 4 levels/,
    );
    const def = defineJobType({ name: 'acme.x', payload, search: ['customer.id'] });
    expect(catalogueEntryOf(def, 'acme').search).toEqual(['customer.id']);
    expect(catalogueEntryOf(defineJobType({ name: 'acme.y', payload }), 'acme')).not.toHaveProperty(
      'search',
    );
    expect(catalogueEntryOf(emailSend, 'mailer').search).toContain('subject');
  });
});

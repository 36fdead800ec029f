import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { catalogueEntryOf, defineJobType } from '@conveyor/contracts';
import { PayloadValidators } from './validator.js';

const def = defineJobType({
  name: 'acme.mail',
  payload: z.strictObject({
    to: z.array(z.email()).min(1),
    subject: z.string().min(1),
    copies: z.int().min(1).max(3).default(1),
    tone: z.enum(['plain', 'loud']).optional(),
  }),
});
const entry = catalogueEntryOf(def, 'acme');

describe('payload checks against a registered JSON Schema (no definition in code)', () => {
  const check = new PayloadValidators().checkerFor(entry);

  it('accepts a valid payload, applying defaults to a copy', () => {
    const input = { to: ['a@example.com'], subject: 'hi' };
    expect(check(input)).toEqual({
      success: true,
      data: { to: ['a@example.com'], subject: 'hi', copies: 1 },
    });
    expect(input).toEqual({ to: ['a@example.com'], subject: 'hi' });
  });

  it('names every wrong field once, with a message a caller can act on', () => {
    const r = check({ to: ['not-an-address'], copies: 9, tone: 'soft', extra: 1 });
    expect(r.success).toBe(false);
    if (r.success) return;
    const byField = Object.fromEntries(r.issues.map((i) => [i.path.join('.'), i.message]));
    expect(byField).toEqual({
      'to.0': expect.stringMatching(/format "email"/),
      subject: 'required',
      copies: expect.stringMatching(/<= 3/),
      tone: 'expected one of "plain", "loud"',
      extra: 'unknown field "extra"',
    });
  });

  it('compiles once per schema hash', () => {
    const v = new PayloadValidators();
    const a = v.checkerFor(entry);
    const b = v.checkerFor({ ...entry });
    expect(a({ to: ['a@example.com'], subject: 's' }).success).toBe(true);
    expect(b({ to: ['a@example.com'], subject: 's' }).success).toBe(true);
  });

  it('refuses a schema with a reference outside itself, and one nested too deep', () => {
    const v = new PayloadValidators();
    expect(() =>
      v.checkerFor({
        ...entry,
        schemaHash: 'a'.repeat(64),
        payloadSchema: { $ref: 'https://example.com/schema.json' },
      }),
    ).toThrow();
    let deep: Record<string, unknown> = { type: 'object' };
    for (let i = 0; i < 80; i++) deep = { type: 'object', properties: { x: deep } };
    expect(() =>
      v.checkerFor({ ...entry, schemaHash: 'b'.repeat(64), payloadSchema: deep }),
    ).toThrow(/deeper than 64/);
  });
});

describe('unions', () => {
  it('that match no branch give one error at the union, not one per branch', () => {
    const union = defineJobType({
      name: 'acme.union',
      payload: z.strictObject({
        source: z.union([
          z.strictObject({ uploadId: z.string() }),
          z.strictObject({ records: z.array(z.unknown()) }),
        ]),
      }),
    });
    const check = new PayloadValidators().checkerFor(catalogueEntryOf(union, 'acme'));
    const r = check({ source: { nope: 1 } });
    expect(r).toEqual({
      success: false,
      issues: [{ path: ['source'], message: 'matches none of the allowed shapes' }],
    });
    expect(check({ source: { records: [] } }).success).toBe(true);
  });
});

describe('payload checks with the definition in code', () => {
  it('use its zod schema (refinements included)', () => {
    const check = new PayloadValidators().checkerFor(entry, def);
    expect(check({ to: ['a@example.com'], subject: 's' })).toMatchObject({ success: true });
    expect(check({ to: [], subject: 's' })).toMatchObject({ success: false });
  });
});

import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { fieldErrors } from './problem.js';

const errorsOf = (schema: z.ZodType, input: unknown, prefix = '') => {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected a failure');
  return fieldErrors(parsed.error, prefix);
};

describe('fieldErrors', () => {
  it('says a missing value is required', () => {
    const schema = z.object({ type: z.string(), payload: z.unknown().nonoptional() });
    expect(errorsOf(schema, { type: 'demo.count' })).toEqual([
      { field: 'payload', message: 'is required' },
    ]);
    expect(errorsOf(z.object({ to: z.array(z.string()) }), {}, 'payload')).toEqual([
      { field: 'payload.to', message: 'is required' },
    ]);
  });

  it('names one bound per field, the tightest', () => {
    const schema = z.object({ to: z.int().min(0).max(1_000_000) });
    const errors = errorsOf(schema, { to: 1e308 });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field).toBe('to');
    expect(errors[0]?.message).toMatch(/1000000/);
  });

  it('keeps one error for each of several fields', () => {
    const schema = z.object({ a: z.string(), b: z.number().min(3) });
    expect(errorsOf(schema, { a: 1, b: 1 }).map((e) => e.field)).toEqual(['a', 'b']);
  });
});

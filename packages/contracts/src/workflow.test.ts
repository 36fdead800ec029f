import { describe, expect, it } from '@jest/globals';
import { stepInputSchema } from './workflow.js';

describe('step inputs', () => {
  it('select with * over a group’s results, as documented (`*.counted`), never into a *', () => {
    expect(stepInputSchema.safeParse({ into: 'to', select: '*.counted' }).success).toBe(true);
    expect(stepInputSchema.safeParse({ into: 'to', select: 'a.*.b' }).success).toBe(true);
    expect(stepInputSchema.safeParse({ into: '*', select: 'a' }).success).toBe(false);
    expect(stepInputSchema.safeParse({ into: 'to', select: 'a..b' }).success).toBe(false);
  });
});

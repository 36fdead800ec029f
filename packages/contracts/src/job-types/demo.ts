import { z } from 'zod';
import { defineJobType } from '../job-type.js';

/** `demo.count` — counts from 1 to `to`, reporting progress; the smallest real job. */
export const demoCount = defineJobType({
  name: 'demo.count',
  description: 'Counts to `to`, waiting `delayMs` between steps and reporting progress.',
  queue: 'processor',
  examples: [{ to: 20, delayMs: 250 }],
  defaults: { timeoutMs: 10 * 60_000, maxAttempts: 3 },
  payload: z.strictObject({
    to: z.int().min(0).max(1_000_000),
    delayMs: z.int().min(0).max(60_000).default(0),
  }),
  result: z.object({ counted: z.int() }),
});

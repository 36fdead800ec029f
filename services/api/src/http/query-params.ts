import { z } from 'zod';

/** A query-string integer in `[min, max]`, `fallback` when absent ("must be an integer" else). */
export const queryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.int().min(min).max(max))
    .default(fallback)
    // n.b. documented as the integer it is read as, with its bounds
    .meta({ type: 'integer', minimum: min, maximum: max, default: fallback, pattern: undefined });

/** A page cursor: the ObjectId of the last item of the previous page (`what` names the item). */
export const objectIdCursor = (what: string) =>
  z
    .string()
    .regex(/^[a-f0-9]{24}$/, `must be the id of the last ${what} of the previous page`)
    .optional();

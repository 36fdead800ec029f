import { z } from 'zod';

/**
 * Fleet-wide limits of a job type (contract): how many of its jobs run at once and how many
 * start per period, for the whole type, per owner and per key taken from the payload, and
 * which key its jobs are shared out fairly by. They hold across every worker replica (the
 * counts live in the store) and a job over a limit waits without spending an attempt. See
 * docs/guide.md, "Fairness and limits".
 */

/** At most `limit` starts in any window of `periodMs`, spread evenly (one per `periodMs / limit`). */
export const rateLimitSchema = z
  .object({
    limit: z.int().min(1).max(1_000_000),
    periodMs: z.int().min(1).max(86_400_000),
  })
  .strict();
export type RateLimit = z.infer<typeof rateLimitSchema>;

/** A limit on jobs running at once and on starts per period; either may be left out. */
export const limitPairSchema = z
  .object({
    /** Jobs running at once. */
    concurrency: z.int().min(1).max(1_000_000).optional(),
    rate: rateLimitSchema.optional(),
  })
  .strict();
export type LimitPair = z.infer<typeof limitPairSchema>;

/** A payload path: dotted field names, e.g. `customer.id`. */
export const payloadPathSchema = z
  .string()
  .regex(/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*){0,7}$/, 'a dotted field path, e.g. customer.id');

export const jobTypeLimitsSchema = z
  .object({
    /** Jobs of the type running at once, fleet-wide. @default unlimited */
    concurrency: z.int().min(1).max(1_000_000).optional(),
    /** Starts of the type per period, fleet-wide. @default unlimited */
    rate: rateLimitSchema.optional(),
    /** The same, for each owner's jobs of the type. @default unlimited */
    perOwner: limitPairSchema.optional(),
    /** The same, for each value of a payload field (e.g. a customer id). @default none */
    perKey: limitPairSchema.extend({ key: payloadPathSchema }).strict().optional(),
    /**
     * A payload field that shares the type's backlog out fairly within an owner (each value
     * its own turn, like another owner). @default none: fair across owners only
     */
    fairKey: payloadPathSchema.optional(),
  })
  .strict();
export type JobTypeLimits = z.infer<typeof jobTypeLimitsSchema>;

/** True when `limits` restricts running or starting (fairKey alone restricts nothing). */
export function hasLimits(limits: JobTypeLimits | undefined): boolean {
  if (!limits) return false;
  return (
    limits.concurrency !== undefined ||
    limits.rate !== undefined ||
    limits.perOwner?.concurrency !== undefined ||
    limits.perOwner?.rate !== undefined ||
    (limits.perKey !== undefined &&
      (limits.perKey.concurrency !== undefined || limits.perKey.rate !== undefined))
  );
}

/** The value at a dotted path of a payload, as a key (scalars only; else undefined). */
export function payloadKeyOf(payload: unknown, path: string): string | undefined {
  let v: unknown = payload;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  if (typeof v === 'string') return v.slice(0, 200);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** One limit a job is subject to, named by its id (the store's counter key). */
export interface AppliedLimit {
  /** `type:<type>`, `owner:<type>:<owner>` or `key:<type>:<value>`. */
  id: string;
  /** Which of the type's limits. */
  scope: 'type' | 'owner' | 'key';
  concurrency?: number;
  rate?: RateLimit;
}

/** The limits that apply to one job of a type with `limits`. */
export function limitsForJob(
  type: string,
  limits: JobTypeLimits,
  owner: string,
  payload: unknown,
): AppliedLimit[] {
  const out: AppliedLimit[] = [];
  const add = (id: string, scope: AppliedLimit['scope'], pair: LimitPair | undefined) => {
    if (!pair || (pair.concurrency === undefined && pair.rate === undefined)) return;
    out.push({
      id,
      scope,
      ...(pair.concurrency !== undefined ? { concurrency: pair.concurrency } : {}),
      ...(pair.rate !== undefined ? { rate: pair.rate } : {}),
    });
  };
  add(`type:${type}`, 'type', { concurrency: limits.concurrency, rate: limits.rate });
  add(`owner:${type}:${owner}`, 'owner', limits.perOwner);
  if (limits.perKey) {
    const key = payloadKeyOf(payload, limits.perKey.key);
    if (key !== undefined) add(`key:${type}:${key}`, 'key', limits.perKey);
  }
  return out;
}

import type { JobTypeDefinition, JobTypeLimits } from '@conveyor/contracts';

/**
 * The fleet-wide limits `MAIL_RATE_PER_SECOND` gives each email type: that many starts per
 * second across every mailer replica (fractions: one per `1 / rate` s); 0 = none.
 */
export function mailRateLimits(ratePerSecond: number): JobTypeLimits | undefined {
  if (!(ratePerSecond > 0)) return undefined;
  return ratePerSecond >= 1
    ? { rate: { limit: Math.round(ratePerSecond), periodMs: 1000 } }
    : { rate: { limit: 1, periodMs: Math.round(1000 / ratePerSecond) } };
}

/** `def` with fleet-wide `limits` in its definition (unchanged without any). */
export function withLimits<T extends JobTypeDefinition>(
  def: T,
  limits: JobTypeLimits | undefined,
): T {
  return limits ? (Object.freeze({ ...def, limits }) as T) : def;
}

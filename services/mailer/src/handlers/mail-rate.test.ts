import { describe, expect, it } from '@jest/globals';
import { catalogueEntryOf, emailSend } from '@conveyor/contracts';
import { mailRateLimits, withLimits } from './mail-rate.js';

describe('MAIL_RATE_PER_SECOND as a fleet-wide limit', () => {
  it('is a rate limit per second, or one start per 1/rate s for fractions, none for 0', () => {
    expect(mailRateLimits(50)).toEqual({ rate: { limit: 50, periodMs: 1000 } });
    expect(mailRateLimits(0.5)).toEqual({ rate: { limit: 1, periodMs: 2000 } });
    expect(mailRateLimits(0)).toBeUndefined();
  });

  it("goes into the email types' definitions, and so into the catalogue", () => {
    const def = withLimits(emailSend, mailRateLimits(10));
    expect(catalogueEntryOf(def, 'mailer').limits).toEqual({ rate: { limit: 10, periodMs: 1000 } });
    expect(withLimits(emailSend, undefined)).toBe(emailSend);
  });
});

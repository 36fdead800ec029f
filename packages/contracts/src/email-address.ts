import { z } from 'zod';
import emailAddresses from 'email-addresses';

/** Longest address string accepted (display name included). */
export const MAX_ADDRESS_LENGTH = 320;

/** Any CR, LF or other control character — header injection material. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/u;

/**
 * One RFC 5322 mailbox: `user@example.com` or `"Ann Example" <ann@example.com>`. Unicode is
 * allowed (RFC 6532); groups, lists and control characters (CR/LF header injection) are not.
 */
export const emailAddressSchema = z
  .string()
  .min(3)
  .max(MAX_ADDRESS_LENGTH)
  .superRefine((value, ctx) => {
    if (CONTROL_CHARS.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not contain CR, LF or other control characters',
      });
      return;
    }
    const parsed = emailAddresses.parseOneAddress({ input: value, rfc6532: true, rejectTLD: true });
    if (!parsed || parsed.type !== 'mailbox') {
      ctx.addIssue({ code: 'custom', message: 'is not a single RFC 5322 mailbox address' });
    }
  });

/** The bare `local@domain` part of a mailbox validated by {@link emailAddressSchema}. */
export function bareAddress(mailbox: string): string {
  const parsed = emailAddresses.parseOneAddress({ input: mailbox, rfc6532: true });
  if (!parsed || parsed.type !== 'mailbox') throw new Error(`not a mailbox: ${mailbox}`);
  return parsed.address;
}

/** A header value on one line: no CR/LF or control characters. */
export const headerTextSchema = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !CONTROL_CHARS.test(v), 'must not contain CR, LF or other control characters');

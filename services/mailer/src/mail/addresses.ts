import { domainToASCII } from 'node:url';
import { bareAddress } from '@conveyor/contracts';
import addressparser from 'nodemailer/lib/addressparser';
import { hasControlChars } from './header-text.js';

/**
 * A mailbox as nodemailer receives it: a display name and a bare address, never a string
 * it would parse (and could be tricked into splitting) itself.
 */
export interface MailAddress {
  /** Display name; '' when there is none. nodemailer quotes or encodes it. */
  readonly name: string;
  /** `local@domain`, as read by the parser that validated the payload. */
  readonly address: string;
}

/** Thrown when a string is not one mailbox; the caller decides what kind of error it is. */
export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError';
}

/**
 * Splits one mailbox (`ann@example.com`, `"Ann Example" <ann@example.com>`) into name and
 * address. The address comes from the same RFC 5322 parser that validated the payload
 * (`bareAddress` from contracts), so what was checked is what is sent to; nodemailer's
 * parser contributes only the display name, and only when it read the same address.
 *
 * @throws InvalidAddressError when the input is not exactly one mailbox or holds control
 *   characters (CR/LF header injection).
 */
export function toMailAddress(mailbox: string): MailAddress {
  if (hasControlChars(mailbox)) {
    throw new InvalidAddressError('address must not contain CR, LF or other control characters');
  }
  let address: string;
  try {
    address = bareAddress(mailbox);
  } catch {
    throw new InvalidAddressError(`not a single RFC 5322 mailbox: ${JSON.stringify(mailbox)}`);
  }
  // n.b. a bare address with spaces or angle brackets would be re-parsed by nodemailer
  if (/[\s<>,;]/u.test(address) || !address.includes('@')) {
    throw new InvalidAddressError(`not a single RFC 5322 mailbox: ${JSON.stringify(mailbox)}`);
  }
  const parsed = addressparser(mailbox, { flatten: true });
  const only = parsed.length === 1 ? parsed[0] : undefined;
  const sameAddress = only !== undefined && only.address.toLowerCase() === address.toLowerCase();
  return Object.freeze({ name: sameAddress ? only.name.trim() : '', address });
}

/** The domain of a bare address in ASCII (punycode) form, as a Message-ID needs it. */
export function asciiDomainOf(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1).replace(/^\[|\]$/g, '');
  const ascii = domainToASCII(domain);
  if (!ascii)
    throw new InvalidAddressError(`address ${JSON.stringify(address)} has no usable domain`);
  return ascii;
}

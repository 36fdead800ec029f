import { PermanentJobError } from '@conveyor/jobs';
import type { JobTypeDefinition, PayloadOf } from '@conveyor/contracts';
import { hasControlChars } from '../mail/header-text.js';
import { InvalidAddressError, toMailAddress, type MailAddress } from '../mail/addresses.js';

/** Job error code of a payload or address the mailer refuses. */
export const INVALID_PAYLOAD = 'INVALID_PAYLOAD';

/**
 * Validates the payload again, against the job type's own schema. The runtime validated it
 * on consume; doing it here too keeps every header-bound value checked right where it is
 * used, whoever calls the handler.
 */
export function validatedPayload<T extends JobTypeDefinition>(
  type: T,
  payload: unknown,
): PayloadOf<T> {
  const parsed = type.payload.safeParse(payload);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
      .join('; ');
    throw new PermanentJobError(`invalid ${type.name} payload: ${issues}`, INVALID_PAYLOAD);
  }
  return parsed.data as PayloadOf<T>;
}

/** One mailbox as a `{name, address}` pair; a bad one fails the job for good. */
export function mailAddress(mailbox: string, field: string): MailAddress {
  try {
    return toMailAddress(mailbox);
  } catch (err) {
    if (err instanceof InvalidAddressError)
      throw new PermanentJobError(`${field}: ${err.message}`, INVALID_PAYLOAD);
    throw err;
  }
}

/** A payload subject, refused if it could end the header line (the schema forbids it too). */
export function headerSafeSubject(subject: string): string {
  if (hasControlChars(subject)) {
    throw new PermanentJobError(
      'subject: must not contain CR, LF or other control characters',
      INVALID_PAYLOAD,
    );
  }
  return subject;
}

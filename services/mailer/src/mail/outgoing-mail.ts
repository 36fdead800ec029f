import type { MailAddress } from './addresses.js';

/**
 * One message ready for the transport. Every address is a parsed `{name, address}` pair and
 * the subject is one validated line, so nothing here can be read as an extra header.
 */
export interface OutgoingMail {
  readonly from: MailAddress;
  readonly to: readonly MailAddress[];
  readonly cc?: readonly MailAddress[] | undefined;
  readonly bcc?: readonly MailAddress[] | undefined;
  readonly replyTo?: MailAddress | undefined;
  readonly subject: string;
  readonly text?: string | undefined;
  readonly html?: string | undefined;
  /** `<job-ID@domain>`, the same on every attempt of a job. */
  readonly messageId: string;
  readonly attachments?: readonly MailAttachment[] | undefined;
}

/** A file attached to a message, read into memory (bounded by `MAIL_ATTACHMENT_LIMIT_BYTES`). */
export interface MailAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** What the SMTP server said about a message it took. */
export interface SentMail {
  readonly messageId: string;
  /** Recipients the server accepted. */
  readonly accepted: string[];
  /** Recipients the server refused while accepting the message for the others. */
  readonly rejected: string[];
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as 4F1A2`. */
  readonly response: string;
}

import { PermanentJobError, RetryableJobError, type JobError } from '@conveyor/jobs';

/**
 * Codes of the job errors a failed send ends in (they become the job's `error.code` and the
 * `reason` label of `conveyor_mail_failed_total`).
 */
export const MAIL_ERROR_CODES = Object.freeze({
  /** The server could not be reached or would not talk: connect, TLS, greeting, auth, 421. */
  unavailable: 'SMTP_UNAVAILABLE',
  /** A 4xx reply (or 503): the same message may be accepted later. */
  transient: 'SMTP_TRANSIENT',
  /** A 5xx reply: the server refused this message for good. */
  rejected: 'SMTP_REJECTED',
  /** Refused before anything reached the server (bad envelope, oversize message). */
  invalid: 'MAIL_INVALID',
  /** The send was aborted (cancel, timeout, shutdown) before the server's reply. */
  aborted: 'SMTP_ABORTED',
} as const);

/** The properties nodemailer puts on the errors it reports (all optional). */
interface SmtpErrorShape {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly responseCode?: unknown;
  readonly response?: unknown;
  readonly command?: unknown;
}

/** Failures of the connection itself, whatever the server said: retrying later may work. */
const CONNECTION_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROXY',
  // n.b. bad credentials are the service's problem, not the message's: keep the job waiting
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
]);

/** Session setup commands: a bad reply to one of these means the server is unusable now. */
const SETUP_COMMANDS = new Set(['CONN', 'EHLO', 'HELO', 'LHLO', 'STARTTLS']);

/** Codes nodemailer sets when it refused the message itself, before the server saw it. */
const LOCAL_REJECT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS']);

/**
 * Maps an error from nodemailer to the job error the runtime understands:
 *
 * - connection failures (`ECONNECTION`, `ETIMEDOUT`, `ESOCKET`, DNS, TLS, auth), a bad
 *   greeting and `421` -> {@link RetryableJobError} `SMTP_UNAVAILABLE`;
 * - other `4xx` replies and `503` (a session-state error, not a verdict on the message) ->
 *   {@link RetryableJobError} `SMTP_TRANSIENT`;
 * - `5xx` replies -> {@link PermanentJobError} `SMTP_REJECTED`;
 * - envelope / message errors without a server reply -> {@link PermanentJobError} `MAIL_INVALID`;
 * - `EABORT` -> {@link RetryableJobError} `SMTP_ABORTED`;
 * - anything else -> {@link RetryableJobError} `SMTP_TRANSIENT` (unknown = try again).
 *
 * The server's reply text is part of every message, so it ends up in the job's error.
 */
export function classifySmtpError(err: unknown): JobError {
  const e: SmtpErrorShape =
    typeof err === 'object' && err !== null ? err : { message: String(err) };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const command = typeof e.command === 'string' ? e.command : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const reply = typeof e.response === 'string' ? e.response.trim() : undefined;
  const detail = describe(e, reply);
  const options = { cause: err };

  if (code === 'EABORT')
    return new RetryableJobError(`send aborted: ${detail}`, MAIL_ERROR_CODES.aborted, options);
  if (
    (code !== undefined && CONNECTION_CODES.has(code)) ||
    (code === 'EPROTOCOL' && (command === undefined || SETUP_COMMANDS.has(command))) ||
    responseCode === 421
  ) {
    return new RetryableJobError(
      `SMTP server unavailable: ${detail}`,
      MAIL_ERROR_CODES.unavailable,
      options,
    );
  }
  if (
    responseCode !== undefined &&
    responseCode >= 500 &&
    responseCode < 600 &&
    responseCode !== 503
  ) {
    return new PermanentJobError(
      `SMTP server rejected the message: ${detail}`,
      MAIL_ERROR_CODES.rejected,
      options,
    );
  }
  if (responseCode !== undefined) {
    return new RetryableJobError(
      `SMTP server deferred the message: ${detail}`,
      MAIL_ERROR_CODES.transient,
      options,
    );
  }
  if (code !== undefined && LOCAL_REJECT_CODES.has(code)) {
    return new PermanentJobError(
      `message refused before sending: ${detail}`,
      MAIL_ERROR_CODES.invalid,
      options,
    );
  }
  return new RetryableJobError(`SMTP send failed: ${detail}`, MAIL_ERROR_CODES.transient, options);
}

/** `<message> [<code>]`, with the server's reply appended when nodemailer did not already. */
function describe(e: SmtpErrorShape, reply: string | undefined): string {
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : 'unknown error';
  const withReply = reply && !message.includes(reply) ? `${message}: ${reply}` : message;
  return typeof e.code === 'string' ? `${withReply} [${e.code}]` : withReply;
}

import Handlebars from 'handlebars';
import {
  EMAIL_LIMITS,
  TEMPLATE_NAMES,
  emailAddressSchema,
  type TemplateName,
} from '@conveyor/contracts';
import { asciiDomainOf, toMailAddress, type MailAddress } from './addresses.js';
import { hasControlChars } from './header-text.js';
import { parseSmtpUrl, SmtpUrlError, type SmtpSettings } from './smtp-url.js';
import { DEFAULT_SUBJECTS } from '../templates/subjects.js';

/**
 * The mailer's email settings, parsed once from the environment.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `SMTP_URL` | (required) | `smtp://[user:pass@]host[:port]` (STARTTLS when offered; `?starttls=required` or `?starttls=never`) or `smtps://...` (TLS from the start). Default ports 587 / 465. `?tlsRejectUnauthorized=false` accepts a self-signed certificate. |
 * | `SMTP_POOL_SIZE` | `5` | Pooled SMTP connections kept open (1–100). |
 * | `MAIL_FROM` | `Conveyor <no-reply@conveyor.local>` | Sender of every message; its domain also names Message-IDs (`<job-ID@domain>`). |
 * | `MAIL_RATE_PER_SECOND` | `50` | Fleet-wide rate limit of each email type (`email.send`, `email.template`, `email.digest`): starts per second across every mailer replica, held in the store; `0` = none. Fractions allowed (`0.5` = one every 2 s). An admin can override it per type at run time. |
 * | `MAIL_ATTACHMENT_LIMIT_BYTES` | `10485760` | Total size of the artifacts one message may attach (10 MiB); a job over it fails for good. |
 * | `MAIL_SUBJECT_WELCOME` | `Welcome to {{#if product}}{{product}}{{else}}Conveyor{{/if}}` | Subject of the `welcome` template. |
 * | `MAIL_SUBJECT_PASSWORD_RESET` | `Reset your password` | Subject of the `password-reset` template. |
 * | `MAIL_SUBJECT_NOTIFICATION` | `{{title}}` | Subject of the `notification` template. |
 * | `MAIL_SUBJECT_DIGEST` | `Conveyor digest: {{counts.failed}} failed, {{counts.pending}} pending` | Subject of the `digest` template. |
 *
 * Subjects are one per variable (rather than one JSON variable) so each can be set on its
 * own in a compose file or a Kubernetes manifest. Each is a handlebars template over the
 * template's data, rendered as plain text; line breaks and control characters in the
 * result become spaces, so data cannot add a header.
 */
export interface MailerMailConfig {
  readonly smtp: SmtpSettings;
  /** `SMTP_POOL_SIZE`, default 5 (nodemailer's default `maxConnections`). */
  readonly poolSize: number;
  readonly from: MailAddress;
  /** ASCII domain of `from`, used in Message-IDs. */
  readonly messageIdDomain: string;
  /** `MAIL_RATE_PER_SECOND`, default 50; 0 = unlimited. */
  readonly ratePerSecond: number;
  /** `MAIL_ATTACHMENT_LIMIT_BYTES`, default 10 MiB: attachments of one message together. */
  readonly attachmentLimitBytes: number;
  /** Handlebars source of each template's subject. */
  readonly subjects: Readonly<Record<TemplateName, string>>;
}

/** A bad mail variable; the message starts with the variable's name. */
export class MailConfigError extends Error {
  override readonly name = 'MailConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

/** `MAIL_FROM` when unset. */
export const DEFAULT_MAIL_FROM = 'Conveyor <no-reply@conveyor.local>';
/** `MAIL_RATE_PER_SECOND` when unset. */
export const DEFAULT_RATE_PER_SECOND = 50;
/** `MAIL_ATTACHMENT_LIMIT_BYTES` when unset. */
export const DEFAULT_ATTACHMENT_LIMIT_BYTES = 10 * 1024 * 1024;
/** `SMTP_POOL_SIZE` when unset. */
export const DEFAULT_POOL_SIZE = 5;

/** The env variable holding a template's subject, e.g. `MAIL_SUBJECT_PASSWORD_RESET`. */
export function subjectVariable(template: TemplateName): string {
  return `MAIL_SUBJECT_${template.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Reads the mail variables (table on {@link MailerMailConfig}) from `env` and returns a frozen
 * config. Throws {@link MailConfigError} naming the first bad variable.
 */
export function parseMailConfig(env: Record<string, string | undefined>): MailerMailConfig {
  const smtpUrl = nonEmpty(env.SMTP_URL);
  if (smtpUrl === undefined)
    throw new MailConfigError('SMTP_URL', 'is required (e.g. smtp://127.0.0.1:1025)');
  let smtp: SmtpSettings;
  try {
    smtp = parseSmtpUrl(smtpUrl);
  } catch (err) {
    if (err instanceof SmtpUrlError) throw new MailConfigError('SMTP_URL', err.message);
    throw err;
  }

  const poolSize = number(env, 'SMTP_POOL_SIZE', DEFAULT_POOL_SIZE);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 100) {
    throw new MailConfigError('SMTP_POOL_SIZE', 'must be an integer from 1 to 100');
  }

  const fromRaw = nonEmpty(env.MAIL_FROM) ?? DEFAULT_MAIL_FROM;
  const fromCheck = emailAddressSchema.safeParse(fromRaw);
  if (!fromCheck.success) {
    throw new MailConfigError(
      'MAIL_FROM',
      `is not a single RFC 5322 mailbox: ${fromCheck.error.issues[0]?.message ?? ''}`,
    );
  }
  let from: MailAddress;
  let messageIdDomain: string;
  try {
    from = toMailAddress(fromRaw);
    messageIdDomain = asciiDomainOf(from.address);
  } catch (err) {
    throw new MailConfigError('MAIL_FROM', err instanceof Error ? err.message : String(err));
  }

  const ratePerSecond = number(env, 'MAIL_RATE_PER_SECOND', DEFAULT_RATE_PER_SECOND);
  if (!(ratePerSecond >= 0) || !Number.isFinite(ratePerSecond)) {
    throw new MailConfigError('MAIL_RATE_PER_SECOND', 'must be a number >= 0 (0 = unlimited)');
  }

  const attachmentLimitBytes = number(
    env,
    'MAIL_ATTACHMENT_LIMIT_BYTES',
    DEFAULT_ATTACHMENT_LIMIT_BYTES,
  );
  if (!Number.isInteger(attachmentLimitBytes) || attachmentLimitBytes < 0) {
    throw new MailConfigError('MAIL_ATTACHMENT_LIMIT_BYTES', 'must be an integer >= 0');
  }

  const subjects = {} as Record<TemplateName, string>;
  for (const template of TEMPLATE_NAMES) {
    const variable = subjectVariable(template);
    const source = nonEmpty(env[variable]) ?? DEFAULT_SUBJECTS[template];
    checkSubject(variable, source);
    subjects[template] = source;
  }

  return Object.freeze({
    smtp,
    poolSize,
    from,
    messageIdDomain,
    ratePerSecond,
    attachmentLimitBytes,
    subjects: Object.freeze(subjects),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function number(
  env: Record<string, string | undefined>,
  variable: string,
  fallback: number,
): number {
  const raw = nonEmpty(env[variable]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new MailConfigError(variable, `must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

function checkSubject(variable: string, source: string): void {
  if (hasControlChars(source)) {
    throw new MailConfigError(variable, 'must be one line without control characters');
  }
  if (source.length > EMAIL_LIMITS.subjectLength) {
    throw new MailConfigError(variable, `must be at most ${EMAIL_LIMITS.subjectLength} characters`);
  }
  try {
    Handlebars.parse(source);
  } catch (err) {
    throw new MailConfigError(
      variable,
      `is not a valid handlebars template: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

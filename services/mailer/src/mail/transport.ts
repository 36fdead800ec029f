import nodemailer, { type SMTPPoolOptions, type SMTPTransportOptions } from 'nodemailer';
import type { MailerMailConfig } from './config.js';
import type { MailAddress } from './addresses.js';
import type { OutgoingMail, SentMail } from './outgoing-mail.js';
import { classifySmtpError } from './smtp-errors.js';

/** Sends mail over the service's pooled SMTP connections. */
export interface MailTransport {
  /**
   * Sends one message. Rejects with a classified job error (see `classifySmtpError`), or with
   * `signal.reason` when the signal aborted. An abort after the DATA was sent does not prove
   * the server did not take the message. The send rate is held before the job starts (the
   * email types' fleet-wide rate limit), so this never waits for anything but SMTP.
   */
  send(mail: OutgoingMail, signal: AbortSignal): Promise<SentMail>;
  /** Opens a fresh connection (EHLO, STARTTLS, AUTH) and closes it; rejects when that fails. */
  verify(): Promise<void>;
  /** Closes the pool; in-flight sends finish first. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link createMailTransport}. */
export interface MailTransportOptions {
  /** Timeout of connecting and of the greeting for sends, in ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Inactivity timeout of a connection during a send, in ms. Default 60 000. */
  readonly socketTimeoutMs?: number;
  /** Whole budget of one verify() (connect + greeting + EHLO + AUTH), in ms. Default 3 000. */
  readonly verifyTimeoutMs?: number;
}

/** Creates the pooled SMTP transport described by `config` (`SMTP_URL`, `SMTP_POOL_SIZE`). */
export function createMailTransport(
  config: MailerMailConfig,
  options: MailTransportOptions = {},
): MailTransport {
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const verifyTimeout = options.verifyTimeoutMs ?? 3_000;
  const connection = connectionOptions(config);
  const poolOptions: SMTPPoolOptions & { pool: true } = {
    ...connection,
    pool: true,
    maxConnections: config.poolSize,
    connectionTimeout: connectTimeout,
    greetingTimeout: connectTimeout,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
    // n.b. one requeue covers a pooled connection the server closed while idle; more would
    // only delay the job's own retry with backoff
    maxRequeues: 1,
  };
  const pool = nodemailer.createTransport(poolOptions);
  // A separate, non-pooled transport for verify(): its own short timeouts bound the probe,
  // and it never takes a pool slot from real sends.
  const probe = nodemailer.createTransport({
    ...connection,
    connectionTimeout: verifyTimeout,
    greetingTimeout: verifyTimeout,
    socketTimeout: verifyTimeout,
  });
  let closing: Promise<void> | undefined;

  return {
    async send(mail, signal) {
      try {
        const info = await pool.sendMail({
          from: address(mail.from),
          to: mail.to.map(address),
          ...(mail.cc?.length ? { cc: mail.cc.map(address) } : {}),
          ...(mail.bcc?.length ? { bcc: mail.bcc.map(address) } : {}),
          ...(mail.replyTo ? { replyTo: address(mail.replyTo) } : {}),
          subject: mail.subject,
          ...(mail.text !== undefined ? { text: mail.text } : {}),
          ...(mail.html !== undefined ? { html: mail.html } : {}),
          messageId: mail.messageId,
          ...(mail.attachments?.length
            ? {
                attachments: mail.attachments.map((a) => ({
                  filename: a.filename,
                  contentType: a.contentType,
                  content: a.content,
                })),
              }
            : {}),
          // n.b. content is always an in-memory string; never let it name a file or URL to read
          disableFileAccess: true,
          disableUrlAccess: true,
          signal,
        });
        return {
          messageId: info.messageId,
          accepted: info.accepted.map(String),
          rejected: info.rejected.map(String),
          response: String(info.response ?? ''),
        };
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw classifySmtpError(err);
      }
    },

    async verify() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `SMTP server ${config.smtp.displayUrl} did not answer within ${verifyTimeout} ms`,
              ),
            ),
          verifyTimeout,
        );
      });
      try {
        await Promise.race([probe.verify(), deadline]);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`SMTP server ${config.smtp.displayUrl} is not usable: ${reason}`, {
          cause: err,
        });
      } finally {
        clearTimeout(timer);
      }
    },

    close() {
      closing ??= (async () => {
        pool.close();
        probe.close();
      })();
      return closing;
    },
  };
}

/** Host, port, TLS and auth for both transports. */
function connectionOptions(config: MailerMailConfig): SMTPTransportOptions {
  const smtp = config.smtp;
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.starttls === 'required',
    ignoreTLS: smtp.starttls === 'never',
    tls: { rejectUnauthorized: smtp.tlsRejectUnauthorized },
    ...(smtp.auth ? { auth: { user: smtp.auth.user, pass: smtp.auth.pass } } : {}),
    logger: false,
  };
}

function address(a: MailAddress): { name: string; address: string } {
  return { name: a.name, address: a.address };
}

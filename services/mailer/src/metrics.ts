import { Counter, Histogram, type Registry } from 'prom-client';

/** The mailer's own metrics (the backlog gauge comes from the worker runtime). */
export interface MailerMetrics {
  /** `conveyor_mail_sent_total{template}` — messages the SMTP server accepted. */
  readonly sent: Counter<'template'>;
  /** `conveyor_mail_failed_total{template,reason}` — failed attempts; reason = job error code. */
  readonly failed: Counter<'template' | 'reason'>;
  /** `conveyor_mail_send_duration_seconds` — SMTP send time, any outcome. */
  readonly sendDuration: Histogram<string>;
  /** `conveyor_mail_duplicates_skipped_total` — attempts that found the job already sent. */
  readonly duplicatesSkipped: Counter<string>;
  /**
   * `conveyor_mail_delivery_record_errors_total` — messages sent whose delivery record could
   * not be written; a redelivery of such a job could send it again.
   */
  readonly recordErrors: Counter<string>;
  /**
   * `conveyor_mail_smtp_replies_total{class}` — how each send ended at the SMTP server:
   * `2xx` accepted, `4xx` deferred, `5xx` rejected, `none` no reply (connection, abort).
   */
  readonly smtpReplies: Counter<'class'>;
}

/** The `class` label of an SMTP outcome: the reply code's hundred, or `none`. */
export function smtpReplyClass(err: unknown): '2xx' | '4xx' | '5xx' | 'none' {
  if (err === null) return '2xx';
  // n.b. the transport rejects with a classified job error whose cause is nodemailer's error
  type Replied = { responseCode?: unknown; cause?: unknown } | undefined;
  const code = (err as Replied)?.responseCode ?? ((err as Replied)?.cause as Replied)?.responseCode;
  if (typeof code === 'number' && code >= 400 && code < 500) return '4xx';
  if (typeof code === 'number' && code >= 500 && code < 600) return '5xx';
  return 'none';
}

/** `template` label of `email.send` jobs, which use no template. */
export const NO_TEMPLATE = 'none';

/** Registers the mailer metrics on `registry` (the service's /metrics registry). */
export function createMailerMetrics(registry: Registry): MailerMetrics {
  const registers = [registry];
  return Object.freeze({
    sent: new Counter({
      name: 'conveyor_mail_sent_total',
      help: 'Messages accepted by the SMTP server, by template (none = email.send).',
      labelNames: ['template'] as const,
      registers,
    }),
    failed: new Counter({
      name: 'conveyor_mail_failed_total',
      help: 'Failed send attempts, by template and reason (the job error code).',
      labelNames: ['template', 'reason'] as const,
      registers,
    }),
    sendDuration: new Histogram({
      name: 'conveyor_mail_send_duration_seconds',
      help: 'Time to hand one message to the SMTP server, any outcome.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    duplicatesSkipped: new Counter({
      name: 'conveyor_mail_duplicates_skipped_total',
      help: 'Attempts of jobs whose message was already sent; nothing was sent again.',
      registers,
    }),
    recordErrors: new Counter({
      name: 'conveyor_mail_delivery_record_errors_total',
      help: 'Messages sent whose delivery record could not be written (a redelivery may resend).',
      registers,
    }),
    smtpReplies: (() => {
      const c = new Counter({
        name: 'conveyor_mail_smtp_replies_total',
        help: 'Send attempts by SMTP reply class: 2xx accepted, 4xx deferred, 5xx rejected, none (no reply).',
        labelNames: ['class'] as const,
        registers,
      });
      for (const cls of ['2xx', '4xx', '5xx', 'none']) c.inc({ class: cls }, 0);
      return c;
    })(),
  });
}

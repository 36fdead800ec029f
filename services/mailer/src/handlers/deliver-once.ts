import { setTimeout as sleep } from 'node:timers/promises';
import { RetryableJobError, classifyError } from '@conveyor/jobs';
import type { JobContext } from '@conveyor/sdk/worker';
import type { MailTransport } from '../mail/transport.js';
import type { OutgoingMail, SentMail } from '../mail/outgoing-mail.js';
import type { DeliveryRepository } from '../deliveries/delivery.repository.js';
import type { DeliveryCounts } from '../deliveries/delivery.model.js';
import { NO_TEMPLATE, smtpReplyClass, type MailerMetrics } from '../metrics.js';

/** What one email job's attempt needs besides its context. */
export interface DeliverDeps {
  readonly transport: MailTransport;
  readonly deliveries: DeliveryRepository;
  readonly metrics: MailerMetrics;
}

/** The message to send and what to remember about it. */
export interface Composed {
  readonly mail: OutgoingMail;
  /** Digest counts, stored with the delivery so a skipped duplicate returns them too. */
  readonly counts?: DeliveryCounts;
}

/** The attempt's outcome: the server's answer (now or from the first send) and digest counts. */
export interface Delivered extends SentMail {
  readonly counts: DeliveryCounts | null;
}

/** Job error code when the delivery lookup before a send fails. */
export const DELIVERIES_UNAVAILABLE = 'DELIVERIES_UNAVAILABLE';

/** Pauses between tries of writing the delivery record after a send. */
const RECORD_RETRY_DELAYS_MS = [100, 500, 2_000];

/**
 * Sends a job's one message at most once per recorded delivery:
 *
 * 1. a delivery record for this job exists -> return what it says, send nothing (a retry or
 *    redelivery of a job whose message already went out);
 * 2. else compose, wait for a rate-limit permit, send, and insert the record with the
 *    server's reply before returning, so the runtime acks only after "sent" is durable.
 *
 * The remaining at-least-once window: a crash (or a lost MongoDB) after the server's 250 and
 * before the insert leaves no record, and the next attempt sends again. The message then
 * carries the same Message-ID (`<job-ID@domain>`), so receivers that dedupe on it drop the
 * copy. The same holds for an abort that lands after the DATA was transmitted.
 *
 * `template` is the metric label (`none` for `email.send`).
 */
export async function deliverOnce(
  ctx: JobContext,
  deps: DeliverDeps,
  template: string,
  compose: () => Promise<Composed>,
): Promise<Delivered> {
  const { job, log, signal } = ctx;
  let previous: Awaited<ReturnType<DeliveryRepository['findByJobId']>>;
  try {
    previous = await deps.deliveries.findByJobId(job.id);
  } catch (err) {
    // n.b. without the lookup a send could be a duplicate: wait for MongoDB instead
    deps.metrics.failed.inc({ template, reason: DELIVERIES_UNAVAILABLE });
    throw new RetryableJobError(
      `could not check whether this job's message was already sent: ${err instanceof Error ? err.message : String(err)}`,
      DELIVERIES_UNAVAILABLE,
      { cause: err },
    );
  }
  if (previous) {
    deps.metrics.duplicatesSkipped.inc();
    log.info(
      {
        jobId: job.id,
        attempt: job.attempt,
        messageId: previous.messageId,
        sentAt: previous.sentAt,
      },
      'message of this job was already sent; not sending again',
    );
    return toDelivered(previous, previous.counts);
  }

  let sent: SentMail;
  let counts: DeliveryCounts | null = null;
  try {
    const composed = await compose();
    counts = composed.counts ?? null;
    const stopTimer = deps.metrics.sendDuration.startTimer();
    try {
      sent = await deps.transport.send(composed.mail, signal);
      deps.metrics.smtpReplies.inc({ class: smtpReplyClass(null) });
    } catch (err) {
      deps.metrics.smtpReplies.inc({ class: smtpReplyClass(err) });
      throw err;
    } finally {
      stopTimer();
    }
  } catch (err) {
    deps.metrics.failed.inc({ template, reason: reasonOf(err, signal) });
    throw err;
  }
  deps.metrics.sent.inc({ template });
  log.info(
    {
      jobId: job.id,
      messageId: sent.messageId,
      accepted: sent.accepted.length,
      rejected: sent.rejected.length,
      response: sent.response,
    },
    'message sent',
  );

  await recordDelivery(ctx, deps, {
    jobId: job.id,
    jobType: job.type,
    template: template === NO_TEMPLATE ? null : template,
    messageId: sent.messageId,
    accepted: sent.accepted,
    rejected: sent.rejected,
    response: sent.response,
    counts,
    sentAt: new Date(),
  });
  return toDelivered(sent, counts);
}

/**
 * Writes the delivery record, retrying briefly. If it still fails the message is out and
 * throwing would make the runtime retry (a certain second send), so the error is logged and
 * counted and the attempt succeeds: the job's own `succeeded` state then keeps it from
 * running again, unless that write fails too.
 */
async function recordDelivery(
  ctx: JobContext,
  deps: DeliverDeps,
  delivery: Parameters<DeliveryRepository['record']>[0],
): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      const outcome = await deps.deliveries.record(delivery);
      if (outcome === 'duplicate') {
        ctx.log.warn(
          { jobId: delivery.jobId },
          'a concurrent attempt of this job recorded its send first',
        );
      }
      return;
    } catch (err) {
      const delay = RECORD_RETRY_DELAYS_MS[i];
      if (delay === undefined) {
        deps.metrics.recordErrors.inc();
        ctx.log.error(
          { err, jobId: delivery.jobId, messageId: delivery.messageId },
          'message sent but its delivery record could not be written; a redelivery may send it again',
        );
        return;
      }
      // n.b. not abortable: the message is out, recording it matters more than a prompt stop
      await sleep(delay);
    }
  }
}

function toDelivered(sent: SentMail, counts: DeliveryCounts | null): Delivered {
  return {
    messageId: sent.messageId,
    accepted: [...sent.accepted],
    rejected: [...sent.rejected],
    response: sent.response,
    counts: counts ? { ...counts } : null,
  };
}

/** Bounded `reason` label: the job error's code, `ABORTED`, or `HANDLER_ERROR` for the rest. */
function reasonOf(err: unknown, signal: AbortSignal): string {
  const { code } = classifyError(err);
  return code === 'HANDLER_ERROR' && signal.aborted ? 'ABORTED' : code;
}

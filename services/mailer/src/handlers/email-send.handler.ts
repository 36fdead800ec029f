import { withLimits } from './mail-rate.js';
import type { JobTypeLimits } from '@conveyor/contracts';
import { handle, type Handler } from '@conveyor/sdk/worker';
import { emailSend } from '@conveyor/contracts';
import { PermanentJobError } from '@conveyor/jobs';
import { messageIdForJob } from '../mail/message-id.js';
import type { MailerMailConfig } from '../mail/config.js';
import { NO_TEMPLATE } from '../metrics.js';
import { loadAttachments, type AttachmentSources } from '../mail/attachments.js';
import { deliverOnce, type DeliverDeps } from './deliver-once.js';
import { headerSafeSubject, mailAddress, validatedPayload } from './payload.js';

/** `email.send`: one message with the payload's subject and text and/or HTML body. */
export function emailSendHandler(
  deps: DeliverDeps & {
    limits?: JobTypeLimits | undefined;
    config: MailerMailConfig;
    attachments?: AttachmentSources | undefined;
  },
): Handler<typeof emailSend> {
  return handle(withLimits(emailSend, deps.limits), async (payload, ctx) => {
    const delivered = await deliverOnce(ctx, deps, NO_TEMPLATE, async () => {
      const p = validatedPayload(emailSend, payload);
      return {
        mail: {
          from: deps.config.from,
          to: p.to.map((a, i) => mailAddress(a, `to.${i}`)),
          cc: p.cc?.map((a, i) => mailAddress(a, `cc.${i}`)),
          bcc: p.bcc?.map((a, i) => mailAddress(a, `bcc.${i}`)),
          replyTo: p.replyTo === undefined ? undefined : mailAddress(p.replyTo, 'replyTo'),
          subject: headerSafeSubject(p.subject),
          text: p.text,
          html: p.html,
          messageId: messageIdForJob(ctx.job.id, deps.config.messageIdDomain),
          attachments: await attachmentsOf(p.attachments, ctx.job.owner, deps, ctx.signal),
        },
      };
    });
    const { counts: _counts, ...result } = delivered;
    return result;
  });
}

/** The payload's attachments, read from the artifact store (refused when the mailer has none). */
export async function attachmentsOf(
  refs: Parameters<typeof loadAttachments>[0],
  owner: string,
  deps: { attachments?: AttachmentSources | undefined },
  signal: AbortSignal,
): ReturnType<typeof loadAttachments> {
  if (!refs || refs.length === 0) return [];
  if (!deps.attachments)
    throw new PermanentJobError(
      'this mailer has no artifact store for attachments',
      'ATTACHMENT_REFUSED',
    );
  return loadAttachments(refs, owner, deps.attachments, signal);
}

import { emailSend } from '@conveyor/contracts';
import { defineHandler, type HandlerRegistration } from '@conveyor/jobs';
import { messageIdForJob } from '../mail/message-id.js';
import type { MailerMailConfig } from '../mail/config.js';
import { NO_TEMPLATE } from '../metrics.js';
import { deliverOnce, type DeliverDeps } from './deliver-once.js';
import { headerSafeSubject, mailAddress, validatedPayload } from './payload.js';

/** `email.send`: one message with the payload's subject and text and/or HTML body. */
export function emailSendHandler(
  deps: DeliverDeps & { config: MailerMailConfig },
): HandlerRegistration<typeof emailSend> {
  return defineHandler(emailSend, async (ctx) => {
    const delivered = await deliverOnce(ctx, deps, NO_TEMPLATE, async () => {
      const p = validatedPayload(emailSend, ctx.job.payload);
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
        },
      };
    });
    const { counts: _counts, ...result } = delivered;
    return result;
  });
}

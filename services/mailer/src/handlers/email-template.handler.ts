import { withLimits } from './mail-rate.js';
import type { JobTypeLimits } from '@conveyor/contracts';
import { handle, type Handler } from '@conveyor/sdk/worker';
import { TEMPLATE_NAMES, emailTemplate, type TemplateName } from '@conveyor/contracts';
import { messageIdForJob } from '../mail/message-id.js';
import type { MailerMailConfig } from '../mail/config.js';
import type { TemplateData, TemplateRenderer } from '../templates/renderer.js';
import type { AttachmentSources } from '../mail/attachments.js';
import { deliverOnce, type DeliverDeps } from './deliver-once.js';
import { attachmentsOf } from './email-send.handler.js';
import { mailAddress, validatedPayload } from './payload.js';

/** `email.template`: renders the named template (text + HTML) and sends it. */
export function emailTemplateHandler(
  deps: DeliverDeps & {
    limits?: JobTypeLimits | undefined;
    config: MailerMailConfig;
    renderer: TemplateRenderer;
    attachments?: AttachmentSources | undefined;
  },
): Handler<typeof emailTemplate> {
  return handle(withLimits(emailTemplate, deps.limits), async (payload, ctx) => {
    const template = templateOf(payload);
    const delivered = await deliverOnce(ctx, deps, template, async () => {
      const p = validatedPayload(emailTemplate, payload);
      // n.b. the discriminated union ties data to its template; the renderer's generic can't see that
      const rendered = deps.renderer.render(p.template, p.data as TemplateData<typeof p.template>);
      return {
        mail: {
          from: deps.config.from,
          to: [mailAddress(p.to, 'to')],
          replyTo: p.replyTo === undefined ? undefined : mailAddress(p.replyTo, 'replyTo'),
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
          messageId: messageIdForJob(ctx.job.id, deps.config.messageIdDomain),
          attachments: await attachmentsOf(p.attachments, ctx.job.owner, deps, ctx.signal),
        },
      };
    });
    const { counts: _counts, ...result } = delivered;
    return result;
  });
}

/** The metric label: a known template name, else `unknown` (the payload is then refused). */
function templateOf(payload: unknown): TemplateName | 'unknown' {
  const name =
    typeof payload === 'object' && payload !== null && 'template' in payload
      ? payload.template
      : undefined;
  return TEMPLATE_NAMES.find((t) => t === name) ?? 'unknown';
}

import type { Handler } from '@conveyor/sdk/worker';
import type { MailTransport } from '../mail/transport.js';
import type { MailerMailConfig } from '../mail/config.js';
import type { DeliveryRepository } from '../deliveries/delivery.repository.js';
import type { MailerMetrics } from '../metrics.js';
import type { AttachmentSources } from '../mail/attachments.js';
import { mailRateLimits } from './mail-rate.js';
import { createTemplateRenderer } from '../templates/renderer.js';
import { emailSendHandler } from './email-send.handler.js';
import { emailTemplateHandler } from './email-template.handler.js';
import { emailDigestHandler, type CountJobs } from './email-digest.handler.js';

export { mailRateLimits, withLimits } from './mail-rate.js';
export type { CountJobs, DigestFailedJob } from './email-digest.handler.js';

/** What the mailer's handlers need; the service's main wires them. */
export interface MailerHandlerDeps {
  readonly transport: MailTransport;
  readonly deliveries: DeliveryRepository;
  readonly countJobs: CountJobs;
  readonly config: MailerMailConfig;
  readonly metrics: MailerMetrics;
  /** Artifacts that `email.send` / `email.template` may attach; without it they refuse attachments. */
  readonly attachments?: AttachmentSources | undefined;
}

/**
 * The handlers of `email.send`, `email.template` and `email.digest`. Call it once per process:
 * the three share one compiled set of templates. `MAIL_RATE_PER_SECOND` is each type's
 * fleet-wide rate limit (see mailRateLimits), held across every mailer replica.
 */
export function mailerHandlers(deps: MailerHandlerDeps): Handler[] {
  const shared = {
    ...deps,
    limits: mailRateLimits(deps.config.ratePerSecond),
    renderer: createTemplateRenderer(deps.config.subjects),
  };
  return [emailSendHandler(shared), emailTemplateHandler(shared), emailDigestHandler(shared)];
}

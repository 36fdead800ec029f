export {
  mailerHandlers,
  type MailerHandlerDeps,
  type CountJobs,
  type DigestFailedJob,
} from './handlers/index.js';
export { parseMailConfig, MailConfigError, type MailerMailConfig } from './mail/config.js';
export {
  createMailTransport,
  type MailTransport,
  type MailTransportOptions,
} from './mail/transport.js';
export { createSmtpCheck, type SmtpCheckOptions } from './mail/readiness.js';
export { createMailerMetrics, type MailerMetrics } from './metrics.js';
export { DeliveryRepository } from './deliveries/delivery.repository.js';
export type { OutgoingMail, SentMail } from './mail/outgoing-mail.js';

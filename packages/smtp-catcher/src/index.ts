export { startSmtpCatcher, type SmtpCatcher, type SmtpCatcherOptions } from './catcher.js';
export type { CaughtEnvelope, CaughtMessage } from './message-store.js';
export type { Fault, FaultStage } from './faults.js';
export { jsonLinesLogger, silentLogger, type CatcherLogger } from './log.js';
export { verifySignature, type CaughtWebhook } from './webhook-store.js';

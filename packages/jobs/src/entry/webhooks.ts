/**
 * `@conveyor/jobs/webhooks`: webhook signing (Standard Webhooks), owners' signing secrets, and
 * completion callbacks.
 */
export * from '../webhooks/signature.js';
export * from '../webhooks/webhook-secret.model.js';
export * from '../webhooks/webhook-secret.repository.js';
export * from '../webhooks/callback.model.js';
export * from '../webhooks/callbacks.js';

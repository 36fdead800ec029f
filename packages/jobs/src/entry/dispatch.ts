/**
 * `@conveyor/jobs/dispatch`: the job use cases (submit, cancel, retry), dispatch with the
 * outbox, lifecycle events, the scheduler's housekeeping and schedule fires.
 */
export * from '../core.js';
export * from '../dispatch.js';
export * from '../events.js';
export * from '../housekeeping.js';
export * from '../use-cases/submit.js';
export * from '../use-cases/cancel.js';
export * from '../use-cases/retry.js';
export * from '../schedules/fire-decision.js';
export * from '../schedules/fire.js';

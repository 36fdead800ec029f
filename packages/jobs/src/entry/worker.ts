/** `@conveyor/jobs/worker`: the worker runtime that job-consuming services are built on. */
export * from '../backoff.js';
export * from '../errors.js';
export * from '../handler.js';
export * from '../worker/metrics.js';
export * from '../worker/outcome.js';
export * from '../worker/service.js';
export * from '../worker/worker.js';
export * from '../worker/context.js';

/**
 * Everything of `@conveyor/jobs` at once. Services import the subpath they need instead
 * (`/store`, `/dispatch`, `/worker`, `/testing`), so the API never loads the worker runtime.
 */
export * from './entry/store.js';
export * from './entry/dispatch.js';
export * from './entry/worker.js';
export * from './entry/webhooks.js';
export * from './entry/workflows.js';

/** `@conveyor/jobs/errors`: the errors a handler throws (pure: no I/O is loaded with it). */
export * from '../errors.js';

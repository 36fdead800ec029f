/** `@conveyor/jobs/store`: the job and schedule stores, the transition table, resources. */
export * from '../attempt-log.js';
export * from '../collections.js';
export * from '../paused-types.js';
export * from '../duplicate-keys.js';
export * from '../files.js';
export * from '../job.model.js';
export * from '../job.queries.js';
export * from '../job.repository.js';
export * from '../resource.js';
export * from '../store-retry.js';
export * from '../transitions.js';
export * from '../schedules/cron.js';
export * from '../schedules/schedule.model.js';
export * from '../schedules/schedule.repository.js';
export * from '../schedules/schedule.resource.js';
export * from '../job-state.metrics.js';

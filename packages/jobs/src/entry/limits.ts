/** `@conveyor/jobs/limits`: fleet-wide limits, held jobs and fair dispatch. */
export * from '../limits/limit-store.js';
export * from '../limits/limit-gate.js';
export * from '../limits/limit-sweep.js';
export * from '../limits/fair.js';
export * from '../limits/limit-metrics.js';

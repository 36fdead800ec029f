/**
 * `@conveyor/jobs/workflows`: chains, groups and chords of jobs over the job core — the
 * workflow store, its pure planning functions and the engine that advances workflows.
 */
export * from '../workflows/workflow.model.js';
export * from '../workflows/workflow.tree.js';
export * from '../workflows/workflow.input.js';
export * from '../workflows/workflow.store.js';
export * from '../workflows/workflow.engine.js';
export * from '../workflows/workflow.resource.js';

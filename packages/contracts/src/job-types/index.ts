/**
 * The job types Conveyor ships. Each is a definition like any user's: the worker that runs it
 * registers it in the catalogue. Code that needs the definitions themselves (payload hooks,
 * zod refinements) imports them from here; {@link builtinJobTypes} collects this module's
 * exports, so no list of them is kept by hand.
 */
export * from './demo.js';
export * from './email.js';
export * from './data.js';
export * from './webhook.js';
export * from './report.js';

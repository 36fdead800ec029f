export * from './check.js';
export * from './verdict.js';
export * from './required-indexes.js';
export * from './run.js';

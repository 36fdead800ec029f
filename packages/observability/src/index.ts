export * from './dashboards/index.js';
export * from './dashboard-queries.js';
export * from './dashboard-files.js';

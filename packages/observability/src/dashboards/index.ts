import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard, type DashboardSpec } from './panels.js';
import { jobTypes } from './job-types.js';
import { mail } from './mail.js';
import { overview } from './overview.js';
import { scheduler } from './scheduler.js';
import { workers } from './workers.js';

/** Every Conveyor dashboard, by the file name it is provisioned as. */
export const DASHBOARDS: Readonly<Record<string, DashboardSpec>> = Object.freeze({
  overview,
  'job-types': jobTypes,
  workers,
  scheduler,
  mail,
});

/** Builds every dashboard: file name -> Grafana dashboard JSON model. */
export function buildDashboards(): Record<string, Dashboard> {
  return Object.fromEntries(
    Object.entries(DASHBOARDS).map(([name, spec]) => [name, buildDashboard(spec)]),
  );
}

export { buildDashboard } from './panels.js';
export type { DashboardSpec, PanelSpec, Query, RowSpec } from './panels.js';

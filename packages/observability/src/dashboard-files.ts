import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboards } from './dashboards/index.js';

/** Where the provisioned dashboard JSON lives in the repository. */
export const DASHBOARDS_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../observability/grafana/dashboards',
);

/** File name -> file content of every dashboard, as committed. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(buildDashboards()).map(([name, d]) => [
      `${name}.json`,
      `${JSON.stringify(d, null, 2)}\n`,
    ]),
  );
}

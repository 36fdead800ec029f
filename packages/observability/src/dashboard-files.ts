import { buildDashboards } from './dashboards/index.js';

export { DASHBOARDS_DIR } from './repo-paths.js';

/** File name -> file content of every dashboard, as committed. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(buildDashboards()).map(([name, d]) => [
      `${name}.json`,
      `${JSON.stringify(d, null, 2)}\n`,
    ]),
  );
}

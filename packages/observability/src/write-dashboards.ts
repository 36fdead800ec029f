import { mkdirSync, writeFileSync } from 'node:fs';
import { dashboardFiles, DASHBOARDS_DIR } from './dashboard-files.js';

/**
 * Writes the dashboards' JSON into observability/grafana/dashboards, where Grafana's file
 * provisioning reads them: `pnpm --filter @conveyor/observability dashboards` after a change
 * to src/dashboards (a unit test fails while the committed JSON differs from the code).
 */
function main(): void {
  mkdirSync(DASHBOARDS_DIR, { recursive: true });
  for (const [file, text] of Object.entries(dashboardFiles())) {
    writeFileSync(`${DASHBOARDS_DIR}/${file}`, text);
    process.stdout.write(`wrote ${DASHBOARDS_DIR}/${file}\n`);
  }
}

main();

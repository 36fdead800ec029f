import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, seen from this package's dist/ folder. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Conveyor's Prometheus rules. */
export const RULES_DIR = resolve(REPO_ROOT, 'observability/prometheus/rules');

/** Where the provisioned dashboard JSON lives. */
export const DASHBOARDS_DIR = resolve(REPO_ROOT, 'observability/grafana/dashboards');

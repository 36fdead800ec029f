import type { Router } from '@koa/router';
import type Koa from 'koa';
import { deadLetterRoutes } from '../dead-letters/routes.js';
import type { ApiDeps } from '../deps.js';
import { jobSearchRoutes } from '../jobs/search.js';
import { scheduleFireRoutes } from '../schedules/fires.js';
import { overviewRoutes } from '../stats/overview.js';
import { queueStatsRoutes } from '../stats/routes.js';
import { timelineRoutes } from '../timeline/routes.js';
import { defaultBundleDir } from './bundle.js';
import { dashboardMiddleware } from './routes.js';

/**
 * The dashboard's seam into the app: the `/ui` bundle on `app`, and the read endpoints it
 * uses on the authenticated `/v1` router. Call before the other `/v1/jobs` routes are
 * mounted, so `/v1/jobs/search` is not taken for a job id.
 */
export function registerDashboard(app: Koa, v1: Router, deps: ApiDeps): void {
  app.use(dashboardMiddleware(deps.config.DASHBOARD_DIR ?? defaultBundleDir()));
  v1.use('/jobs', jobSearchRoutes(deps).routes(), timelineRoutes(deps, deps.timeline).routes());
  for (const r of [
    overviewRoutes(deps),
    queueStatsRoutes(deps),
    deadLetterRoutes(deps),
    scheduleFireRoutes(deps),
  ])
    v1.use(r.routes());
}

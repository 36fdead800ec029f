import type Koa from 'koa';
import { deadLetterRoutes } from '../dead-letters/routes.js';
import type { ApiDeps } from '../deps.js';
import type { AnyRoute } from '../http/route-table.js';
import { jobSearchRoutes } from '../jobs/search.js';
import { scheduleFireRoutes } from '../schedules/fires.js';
import { jobTypeStatsRoutes } from '../stats/job-types.js';
import { overviewRoutes } from '../stats/overview.js';
import { queueStatsRoutes } from '../stats/routes.js';
import { timelineRoutes } from '../timeline/routes.js';
import { defaultBundleDir } from './bundle.js';
import { dashboardMiddleware } from './routes.js';

/**
 * The dashboard's seam into the app: the `/ui` bundle on `app`, and the read endpoints it
 * uses, returned as routes for the API's route table.
 */
export function registerDashboard(app: Koa, deps: ApiDeps): AnyRoute[] {
  app.use(dashboardMiddleware(deps.config.DASHBOARD_DIR ?? defaultBundleDir()));
  return [
    jobSearchRoutes(deps),
    timelineRoutes(deps, deps.timeline),
    overviewRoutes(deps),
    queueStatsRoutes(deps),
    jobTypeStatsRoutes(deps),
    ...deadLetterRoutes(deps),
    ...scheduleFireRoutes(deps),
  ];
}

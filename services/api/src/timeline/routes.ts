import { Router } from '@koa/router';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../http/problem.js';
import type { TimelineStore } from './timeline.store.js';

/** `GET /v1/jobs/:id/timeline`: the job's stored lifecycle events, oldest first. */
export function timelineRoutes(deps: ApiDeps, store: TimelineStore): Router {
  const router = new Router();
  router.get('/:id/timeline', async (ctx) => {
    const id = ctx.params['id'] ?? '';
    const job = await deps.repo.get(id, ownerScope(currentUser(ctx)));
    if (!job) throw notFound('job');
    const events = await store.forJob(id);
    ctx.body = {
      jobId: id,
      items: events.map((e) => ({
        status: e.status,
        attempt: e.attempt,
        occurredAt: e.occurredAt.toISOString(),
        error: e.error,
        runAt: e.runAt ? e.runAt.toISOString() : null,
        workerId: e.workerId,
      })),
    };
  });
  return router;
}

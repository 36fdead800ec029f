import { Router } from '@koa/router';
import { LANES, WORKER_SERVICES, jobTypeCatalogue } from '@conveyor/contracts';
import { mongoHealthy } from '@conveyor/platform';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';

/** Unauthenticated probes on the main port (the ops port has them too): `/healthz`, `/readyz`, `/metrics`. */
export function probeRoutes(deps: ApiDeps, isDraining: () => boolean): Router {
  const { runtime } = deps;
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const checks = {
      mongodb: await mongoHealthy(runtime.mongo).catch(() => false),
      rabbitmq: runtime.amqp.connected,
    };
    const ready = !isDraining() && checks.mongodb && checks.rabbitmq;
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not-ready', draining: isDraining(), checks };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = runtime.registry.contentType;
    ctx.body = await runtime.registry.metrics();
  });
  return router;
}

/** `/v1/job-types`, `/v1/queues`, `/v1/workers`. */
export function opsRoutes(deps: ApiDeps): Router {
  const { runtime } = deps;
  const router = new Router();
  const catalogue = jobTypeCatalogue();

  router.get('/job-types', (ctx) => {
    ctx.body = catalogue;
  });

  router.get('/queues', async (ctx) => {
    const owner = ownerScope(currentUser(ctx));
    const names = WORKER_SERVICES.flatMap((s) =>
      LANES.map((l) => runtime.topology.queues.work(s, l)),
    );
    const queues = await Promise.all(
      names.map(async (name) => {
        const q = await runtime.amqp.withChannel((ch) => ch.checkQueue(name));
        return { name, messages: q.messageCount, consumers: q.consumerCount };
      }),
    );
    const counts = await deps.repo.queries.countByStatus(owner);
    ctx.body = { queues, jobs: counts };
  });

  router.get('/workers', (ctx) => {
    currentUser(ctx);
    ctx.body = { items: deps.hub.workers.list() };
  });
  return router;
}

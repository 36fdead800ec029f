import { LANES } from '@conveyor/contracts';
import { LimitStore } from '@conveyor/jobs/limits';
import { jobTypeResource, jobTypeResourceSchema } from './job-type-resource.js';
import { limitsResource, readLimitView } from './limits.js';
import { mongoHealthy } from '@conveyor/platform';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import { route, type AnyRoute } from '../http/route-table.js';

/** Unauthenticated probes on the main port (the ops port has them too): `/healthz`, `/readyz`, `/metrics`. */
export function probeRoutes(deps: ApiDeps, isDraining: () => boolean): AnyRoute[] {
  const { runtime } = deps;
  const healthz = route({
    method: 'get',
    path: '/healthz',
    tag: 'probes',
    summary: 'Liveness: the process answers',
    auth: 'none',
    responses: {
      200: {
        description: 'Alive',
        schema: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] },
      },
    },
    handler: (ctx) => {
      ctx.body = { status: 'ok' };
    },
  });
  const readiness = {
    type: 'object',
    properties: {
      status: { enum: ['ready', 'not-ready'] },
      draining: { type: 'boolean' },
      checks: {
        type: 'object',
        properties: { mongodb: { type: 'boolean' }, rabbitmq: { type: 'boolean' } },
      },
    },
    required: ['status', 'draining', 'checks'],
  };
  const readyz = route({
    method: 'get',
    path: '/readyz',
    tag: 'probes',
    summary: 'Readiness: MongoDB and RabbitMQ reachable and not draining',
    auth: 'none',
    responses: {
      200: { description: 'Ready', schema: readiness },
      503: { description: 'Not ready (or shutting down)', schema: readiness },
    },
    handler: async (ctx) => {
      const checks = {
        mongodb: await mongoHealthy(runtime.mongo).catch(() => false),
        rabbitmq: runtime.amqp.connected,
      };
      const ready = !isDraining() && checks.mongodb && checks.rabbitmq;
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'not-ready', draining: isDraining(), checks };
    },
  });
  const metrics = route({
    method: 'get',
    path: '/metrics',
    tag: 'probes',
    summary: 'Prometheus metrics of this process (text exposition format)',
    auth: 'none',
    responses: {
      200: { description: 'Metrics', contentType: 'text/plain', schema: { type: 'string' } },
    },
    handler: async (ctx) => {
      ctx.type = runtime.registry.contentType;
      ctx.body = await runtime.registry.metrics();
    },
  });
  return [healthz, readyz, metrics];
}

/** `/v1/job-types`, `/v1/queues`, `/v1/workers`. */
export function opsRoutes(deps: ApiDeps): AnyRoute[] {
  const { runtime } = deps;
  const { catalogue } = deps.core;
  const limitStore = new LimitStore(runtime.mongo);

  const jobTypes = route({
    method: 'get',
    path: '/v1/job-types',
    tag: 'operations',
    summary: 'Job type catalogue: every registered type, its JSON Schemas and its workers',
    description:
      'Read from the catalogue the workers write when they start. `worker` says whether a worker running the type was heard from in the last 30 s; a type with none still accepts jobs, which wait in its queue.',
    auth: 'token',
    responses: {
      200: { description: 'Catalogue', schema: { type: 'array', items: jobTypeResourceSchema } },
    },
    handler: async (ctx) => {
      currentUser(ctx);
      const now = new Date();
      const view = await readLimitView(limitStore);
      ctx.body = await Promise.all(
        (await catalogue.records()).map(async (r) => ({
          ...jobTypeResource(r, now),
          limits: await limitsResource(r, view),
        })),
      );
    },
  });

  const queues = route({
    method: 'get',
    path: '/v1/queues',
    tag: 'operations',
    summary: 'Work queue depths and my job counts by status',
    auth: 'token',
    responses: {
      200: {
        description: 'Queues',
        schema: {
          type: 'object',
          properties: {
            queues: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  messages: { type: 'integer' },
                  consumers: { type: 'integer' },
                },
                required: ['name', 'messages', 'consumers'],
              },
            },
            jobs: { type: 'object', additionalProperties: { type: 'integer' } },
          },
          required: ['queues', 'jobs'],
        },
      },
    },
    handler: async (ctx) => {
      const owner = ownerScope(currentUser(ctx));
      const groups = [...new Set((await catalogue.records()).map((r) => r.entry.queue))].sort();
      const names = groups.flatMap((g) => LANES.map((l) => runtime.topology.queues.work(g, l)));
      const found = await Promise.all(
        names.map(async (name) => {
          // n.b. a group registered by a seed whose worker never declared it has no queue yet
          const q = await runtime.amqp.withChannel((ch) => ch.checkQueue(name)).catch(() => null);
          return q ? { name, messages: q.messageCount, consumers: q.consumerCount } : null;
        }),
      );
      const queues = found.filter((q) => q !== null);
      const counts = await deps.repo.queries.countByStatus(owner);
      ctx.body = { queues, jobs: counts };
    },
  });

  const workers = route({
    method: 'get',
    path: '/v1/workers',
    tag: 'operations',
    summary: 'Workers seen in the last 30 s (from their heartbeats)',
    auth: 'token',
    responses: {
      200: {
        description: 'Workers',
        schema: {
          type: 'object',
          properties: { items: { type: 'array', items: { type: 'object' } } },
          required: ['items'],
        },
      },
    },
    handler: (ctx) => {
      currentUser(ctx);
      ctx.body = { items: deps.hub.workers.list() };
    },
  });
  return [jobTypes, queues, workers];
}

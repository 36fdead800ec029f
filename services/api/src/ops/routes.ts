import { LANES, WORKER_SERVICES, jobTypeCatalogue } from '@conveyor/contracts';
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
  const catalogue = jobTypeCatalogue();

  const jobTypes = route({
    method: 'get',
    path: '/v1/job-types',
    tag: 'operations',
    summary: 'Job type catalogue with payload JSON Schemas',
    auth: 'token',
    responses: {
      200: {
        description: 'Catalogue',
        schema: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              description: { type: 'string' },
              service: { type: 'string' },
              payloadSchema: { type: 'object' },
            },
            required: ['name', 'description', 'service', 'payloadSchema'],
          },
        },
      },
    },
    handler: (ctx) => {
      currentUser(ctx);
      ctx.body = catalogue;
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

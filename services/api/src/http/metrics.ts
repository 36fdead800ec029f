import type { Middleware } from 'koa';
import { Counter, Histogram, type Registry } from '@conveyor/platform';

/** The API's Prometheus metrics, registered on the service registry. */
export interface ApiMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  submitted: Counter<'type'>;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  return {
    requests: new Counter({
      name: 'conveyor_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'conveyor_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (SSE: until the stream opens)',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    submitted: new Counter({
      name: 'conveyor_jobs_submitted_total',
      help: 'Jobs created through the API, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
  };
}

/** Counts and times requests by the matched route pattern (never the raw path: ids would explode cardinality). */
export function httpMetricsMiddleware(metrics: ApiMetrics): Middleware {
  return async (ctx, next) => {
    const end = metrics.duration.startTimer();
    try {
      await next();
    } finally {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const route = typeof matched === 'string' ? matched : 'unmatched';
      end({ method: ctx.method, route });
      metrics.requests.inc({ method: ctx.method, route, status: String(ctx.status) });
    }
  };
}

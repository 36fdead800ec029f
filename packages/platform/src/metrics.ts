import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A fresh registry per service process (never the global one, so tests can build several),
 * with Node's default metrics and a `service` label on every series.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'conveyor_' });
  return registry;
}

export { Registry, Counter, Gauge, Histogram } from 'prom-client';

import type { Connection } from 'mongoose';
import { topology, type Topology } from '@conveyor/contracts';
import { createLogger, type Logger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';
import type { Registry } from 'prom-client';
import { connectMongo, mongoHealthy } from './mongo.js';
import { AmqpClient } from './amqp/client.js';
import { declareTopology } from './amqp/topology.js';
import { Lifecycle } from './lifecycle.js';
import { startOpsServer, type OpsServer, type ReadinessCheck } from './ops-server.js';
import { Counter } from 'prom-client';
import { initTracing } from './tracing.js';

/** The config fields every service has (see `baseConfigShape`). */
export interface ServiceBaseConfig {
  readonly LOG_LEVEL: string;
  readonly RABBITMQ_URL: string;
  readonly MONGO_URL: string;
  readonly CONVEYOR_PREFIX: string;
  readonly METRICS_HOST: string;
  readonly METRICS_PORT: number;
  readonly SHUTDOWN_GRACE_MS: number;
}

/** The shared infrastructure of a running service. */
export interface ServiceRuntime {
  readonly name: string;
  readonly log: Logger;
  readonly registry: Registry;
  readonly mongo: Connection;
  readonly amqp: AmqpClient;
  readonly topology: Topology;
  readonly lifecycle: Lifecycle;
  readonly ops: OpsServer;
  /** Exports the spans still buffered and stops tracing (a no-op when tracing is off). */
  readonly flushTraces: () => Promise<void>;
}

/**
 * Boots what every service needs, in the order that makes a service safe to start:
 * MongoDB (pinged), RabbitMQ (connected, topology declared), then the ops server whose
 * `/readyz` reflects both plus `extraChecks`. The caller starts its intake after this and
 * registers its own shutdown steps, then calls {@link closeRuntime} to add the rest.
 */
export async function bootService(
  name: string,
  config: ServiceBaseConfig,
  opts: {
    extraChecks?: ReadinessCheck[];
    log?: Logger;
    /** How long a publish may wait for the broker (default 10000 ms); see AmqpClientOptions. */
    publishTimeoutMs?: number;
    /** Declares more topology after the shared one, on every (re)connect. @default none */
    declare?: (ch: Parameters<typeof declareTopology>[0]) => Promise<void>;
  } = {},
): Promise<ServiceRuntime> {
  const log = opts.log ?? createLogger(name, config.LOG_LEVEL);
  const registry = createMetricsRegistry(name);
  const topo = topology(config.CONVEYOR_PREFIX);
  const lifecycle = new Lifecycle(log);
  // n.b. OpenTelemetry spans are exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set
  const flushTraces = initTracing(name);

  const mongo = await connectMongo(config.MONGO_URL, log, { appName: `conveyor-${name}` });
  const amqpEvents = new Counter({
    name: 'conveyor_amqp_events_total',
    help: 'RabbitMQ client events: reconnect, blocked, stale-ack (settle skipped on a dead channel), returned',
    labelNames: ['event'],
    registers: [registry],
  });
  const amqp = new AmqpClient({
    url: config.RABBITMQ_URL,
    name: `conveyor-${name}-${process.pid}`,
    log,
    setup: async (ch) => {
      await declareTopology(ch, topo);
      if (opts.declare) await opts.declare(ch);
    },
    onEvent: (event) => amqpEvents.inc({ event }),
    ...(opts.publishTimeoutMs !== undefined ? { publishTimeoutMs: opts.publishTimeoutMs } : {}),
  });
  await amqp.start();

  const ops = await startOpsServer({
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    registry,
    log,
    checks: [
      { name: 'mongodb', check: () => mongoHealthy(mongo) },
      { name: 'rabbitmq', check: async () => amqp.connected },
      ...(opts.extraChecks ?? []),
    ],
  });
  lifecycle.onClose('mark not ready', () => ops.setDraining());
  return { name, log, registry, mongo, amqp, topology: topo, lifecycle, ops, flushTraces };
}

/** Adds the final shutdown steps: AMQP channels and connection, MongoDB, the ops server. */
export function closeRuntime(rt: ServiceRuntime): void {
  rt.lifecycle.onClose('flush traces', () => rt.flushTraces());
  rt.lifecycle.onClose('close rabbitmq', () => rt.amqp.close());
  rt.lifecycle.onClose('close mongodb', () => rt.mongo.close());
  rt.lifecycle.onClose('close ops server', () => rt.ops.close());
}

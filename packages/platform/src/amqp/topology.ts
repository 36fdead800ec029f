import type { Channel } from 'amqplib';
import { LANES, SERVICE_BINDINGS, WORKER_SERVICES, type Topology } from '@conveyor/contracts';

/** Options of the declared work queues. */
export interface TopologyOptions {
  /**
   * Deliveries of one message before the broker dead-letters it (quorum `x-delivery-limit`).
   * Quorum queues on RabbitMQ 3.10 have no default, so it is always set. Default 5.
   */
  deliveryLimit?: number;
}

/**
 * Declares the whole topology: every service declares all of it (idempotently, with the same
 * arguments), so a job submitted before its worker ever started is still routable.
 *
 * Work queues are quorum queues (replicated; delivery limit; at-least-once dead-lettering,
 * which needs `overflow: reject-publish`). Dead letters go to `<prefix>.dlx` -> `<prefix>.dead`.
 */
export async function declareTopology(
  ch: Channel,
  topo: Topology,
  opts: TopologyOptions = {},
): Promise<void> {
  const { exchanges, queues } = topo;
  await ch.assertExchange(exchanges.jobs, 'topic', { durable: true });
  await ch.assertExchange(exchanges.jobsPriority, 'topic', { durable: true });
  await ch.assertExchange(exchanges.events, 'topic', { durable: true });
  await ch.assertExchange(exchanges.control, 'fanout', { durable: true });
  await ch.assertExchange(exchanges.dlx, 'fanout', { durable: true });

  await ch.assertQueue(queues.dead, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(queues.dead, exchanges.dlx, '');

  for (const service of WORKER_SERVICES) {
    for (const lane of LANES) {
      const queue = queues.work(service, lane);
      await ch.assertQueue(queue, { durable: true, arguments: workQueueArguments(topo, opts) });
      const exchange = lane === 'standard' ? exchanges.jobs : exchanges.jobsPriority;
      for (const pattern of SERVICE_BINDINGS[service]) await ch.bindQueue(queue, exchange, pattern);
    }
  }
}

/** Arguments of every work queue; changing one is a migration (RabbitMQ refuses a mismatch). */
export function workQueueArguments(
  topo: Topology,
  opts: TopologyOptions = {},
): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': opts.deliveryLimit ?? 5,
    'x-dead-letter-exchange': topo.exchanges.dlx,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

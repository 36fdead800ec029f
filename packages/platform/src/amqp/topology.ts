import type { Channel } from 'amqplib';
import { LANES, laneExchange, type Topology } from '@conveyor/contracts';

/** Options of the declared work queues. */
export interface TopologyOptions {
  /**
   * Deliveries of one message before the broker dead-letters it (quorum `x-delivery-limit`).
   * Quorum queues on RabbitMQ 3.10 have no default, so it is always set. Default 5.
   */
  deliveryLimit?: number;
}

/**
 * Declares the shared topology (idempotently, with the same arguments): the exchanges and the
 * dead-letter queue. Work queues belong to worker groups: see {@link declareWorkQueues}.
 * Dead letters go to `<prefix>.dlx` -> `<prefix>.dead`.
 */
export async function declareTopology(ch: Channel, topo: Topology): Promise<void> {
  const { exchanges, queues } = topo;
  await ch.assertExchange(exchanges.jobs, 'topic', { durable: true });
  await ch.assertExchange(exchanges.jobsPriority, 'topic', { durable: true });
  await ch.assertExchange(exchanges.jobsFair, 'topic', { durable: true });
  await ch.assertExchange(exchanges.events, 'topic', { durable: true });
  await ch.assertExchange(exchanges.control, 'fanout', { durable: true });
  await ch.assertExchange(exchanges.dlx, 'fanout', { durable: true });

  await ch.assertQueue(queues.dead, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(queues.dead, exchanges.dlx, '');
}

/**
 * Declares a worker group's work queues (standard, priority and fair lane) and binds each to
 * exactly `types` on its lane's exchange. Work queues are quorum queues (replicated; delivery
 * limit; at-least-once dead-lettering, which needs `overflow: reject-publish`). Bindings are
 * only ever added: a type dropped from a group keeps its binding until unbound by hand.
 */
export async function declareWorkQueues(
  ch: Channel,
  topo: Topology,
  queue: string,
  types: readonly string[],
  opts: TopologyOptions = {},
): Promise<void> {
  for (const lane of LANES) {
    const name = topo.queues.work(queue, lane);
    await ch.assertQueue(name, { durable: true, arguments: workQueueArguments(topo, opts) });
    for (const type of types) await ch.bindQueue(name, laneExchange(topo, lane), type);
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

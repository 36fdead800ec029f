import { jobLifecycleEvent, TERMINAL_STATUSES, type Topology } from '@conveyor/contracts';
import type { JobCallbacks } from '@conveyor/jobs';
import { consumeEnvelopes, type AmqpClient, type Consumer, type Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';

/**
 * Completion callbacks: consumes final-state lifecycle events (`job.succeeded.#`,
 * `job.failed.#`, `job.cancelled.#`) from one durable queue shared by every replica and
 * fires the job's callback; a sweep every `sweepIntervalMs` fires those whose event was lost
 * (events are best effort) or came before the callback was recorded.
 */
export async function startCallbacks(deps: {
  callbacks: JobCallbacks;
  amqp: AmqpClient;
  topology: Topology;
  log: Logger;
  sweepIntervalMs: number;
}): Promise<TimerLoop> {
  const { topology, log } = deps;
  const queue = topology.queues.callbacks;
  const consumer: Consumer = await consumeEnvelopes(
    deps.amqp,
    jobLifecycleEvent,
    {
      prefetch: 20,
      tag: 'scheduler-callbacks',
      declare: async (ch) => {
        await ch.assertQueue(queue, {
          durable: true,
          arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 },
        });
        for (const status of TERMINAL_STATUSES)
          await ch.bindQueue(queue, topology.exchanges.events, `job.${status}.#`);
        return queue;
      },
    },
    async (env, delivery) => {
      try {
        await deps.callbacks.fire(env.data.jobId);
        delivery.ack();
      } catch (err) {
        // n.b. the sweep fires it later too; requeue once the store answers again
        log.warn({ err, jobId: env.data.jobId }, 'completion callback not fired yet');
        delivery.nack(true);
      }
    },
    { log },
  );
  const sweep = startLoop('callback-sweep', log, async () => {
    const fired = await deps.callbacks.sweep(deps.sweepIntervalMs);
    if (fired > 0) log.info({ fired }, 'completion callbacks fired by the sweep');
    return deps.sweepIntervalMs;
  });
  return {
    async stop() {
      await consumer.cancel();
      await sweep.stop();
    },
  };
}

import {
  jobLifecycleEvent,
  routingKeys,
  TERMINAL_STATUSES,
  type JobReaction,
  type Topology,
} from '@conveyor/contracts';
import { consumeEnvelopes, type AmqpClient, type Consumer, type Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';

/** What reacts to jobs reaching a final state: a handler per event and a repairing sweep. */
export interface FinishedJobReaction {
  /** Names the consumer tag (`scheduler-<name>`), the sweep loop and log lines. */
  name: string;
  /** The reaction whose final-state events the queue receives (`reaction.<it>.<status>.#`). */
  reaction: JobReaction;
  /** The durable queue shared by every replica. */
  queue: string;
  /** Reacts to one finished job; must be idempotent (events may be redelivered). */
  onFinished: (jobId: string) => Promise<void>;
  /** Finds what the events missed; returns how many it handled. */
  sweep: (intervalMs: number) => Promise<number>;
}

/**
 * Consumes the final-state lifecycle events of the jobs that asked for this reaction
 * (`reaction.<reaction>.<status>.#`; a plain job's events never reach it) from one durable
 * quorum queue shared by every replica, acking each only
 * after `onFinished` succeeded (a failure requeues it), and runs `sweep` every
 * `sweepIntervalMs` for events that were lost (events are best effort) or handled by a
 * replica that crashed mid-way.
 */
export async function startFinishedJobReaction(
  reaction: FinishedJobReaction,
  deps: { amqp: AmqpClient; topology: Topology; log: Logger; sweepIntervalMs: number },
): Promise<TimerLoop> {
  const { topology, log } = deps;
  const { name, queue } = reaction;
  const consumer: Consumer = await consumeEnvelopes(
    deps.amqp,
    jobLifecycleEvent,
    {
      prefetch: 20,
      tag: `scheduler-${name}`,
      declare: async (ch) => {
        await ch.assertQueue(queue, {
          durable: true,
          arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 },
        });
        for (const status of TERMINAL_STATUSES) {
          await ch.bindQueue(
            queue,
            topology.exchanges.events,
            `${routingKeys.reaction(reaction.reaction, status, '')}#`,
          );
          // n.b. queues declared before reactions existed had every final event: unbind that
          await ch.unbindQueue(queue, topology.exchanges.events, `job.${status}.#`);
        }
        return queue;
      },
    },
    async (env, delivery) => {
      try {
        await reaction.onFinished(env.data.jobId);
        delivery.ack();
      } catch (err) {
        // n.b. the sweep handles it later too; requeue once the store answers again
        log.warn({ err, jobId: env.data.jobId }, `${name}: finished job not handled yet`);
        delivery.nack(true);
      }
    },
    { log },
  );
  const sweep = startLoop(`${name}-sweep`, log, async () => {
    const handled = await reaction.sweep(deps.sweepIntervalMs);
    if (handled > 0) log.info({ handled }, `${name}: sweep handled jobs the events missed`);
    return deps.sweepIntervalMs;
  });
  return {
    async stop() {
      await consumer.cancel();
      await sweep.stop();
    },
  };
}

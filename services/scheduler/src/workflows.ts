import { jobLifecycleEvent, TERMINAL_STATUSES, type Topology } from '@conveyor/contracts';
import type { WorkflowEngine } from '@conveyor/jobs/workflows';
import { consumeEnvelopes, type AmqpClient, type Consumer, type Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';

/**
 * Workflows: consumes final-state lifecycle events (`job.succeeded.#`, `job.failed.#`,
 * `job.cancelled.#`) from one durable queue shared by every replica and records them in the
 * job's workflow, which starts what comes next; a sweep every `sweepIntervalMs` repairs
 * workflows whose events were lost or whose advancing a crash interrupted. The delivery is
 * acked only after the workflow was advanced, so a scheduler killed mid-way leaves the event
 * to be redelivered.
 */
export async function startWorkflows(deps: {
  engine: WorkflowEngine;
  amqp: AmqpClient;
  topology: Topology;
  log: Logger;
  sweepIntervalMs: number;
}): Promise<TimerLoop> {
  const { topology, log } = deps;
  const queue = topology.queues.workflows;
  const consumer: Consumer = await consumeEnvelopes(
    deps.amqp,
    jobLifecycleEvent,
    {
      prefetch: 20,
      tag: 'scheduler-workflows',
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
        await deps.engine.jobFinished(env.data.jobId);
        delivery.ack();
      } catch (err) {
        // n.b. the sweep advances it later too; requeue once the store answers again
        log.warn({ err, jobId: env.data.jobId }, 'workflow not advanced yet');
        delivery.nack(true);
      }
    },
    { log },
  );
  const sweep = startLoop('workflow-sweep', log, async () => {
    const seen = await deps.engine.sweep(deps.sweepIntervalMs);
    if (seen > 0) log.debug({ seen }, 'workflows swept');
    return deps.sweepIntervalMs;
  });
  return {
    async stop() {
      await consumer.cancel();
      await sweep.stop();
    },
  };
}

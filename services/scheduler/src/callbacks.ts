import type { Topology } from '@conveyor/contracts';
import type { JobCallbacks } from '@conveyor/jobs';
import type { AmqpClient, Logger } from '@conveyor/platform';
import { startFinishedJobReaction } from './finished-jobs.js';
import type { TimerLoop } from './loop.js';

/**
 * Completion callbacks: fires a finished job's callback from its final-state event; the
 * sweep fires those whose event was lost or came before the callback was recorded.
 */
export function startCallbacks(deps: {
  callbacks: JobCallbacks;
  amqp: AmqpClient;
  topology: Topology;
  log: Logger;
  sweepIntervalMs: number;
}): Promise<TimerLoop> {
  return startFinishedJobReaction(
    {
      name: 'callback',
      queue: deps.topology.queues.callbacks,
      reaction: 'callback',
      onFinished: (jobId) => deps.callbacks.fire(jobId).then(() => undefined),
      sweep: (ms) => deps.callbacks.sweep(ms),
    },
    deps,
  );
}

import type { Topology } from '@conveyor/contracts';
import type { WorkflowEngine } from '@conveyor/jobs/workflows';
import type { AmqpClient, Logger } from '@conveyor/platform';
import { startFinishedJobReaction } from './finished-jobs.js';
import type { TimerLoop } from './loop.js';

/**
 * Workflows: records each finished job in its workflow, which starts what comes next; the
 * sweep repairs workflows whose events were lost or whose advancing a crash interrupted.
 */
export function startWorkflows(deps: {
  engine: WorkflowEngine;
  amqp: AmqpClient;
  topology: Topology;
  log: Logger;
  sweepIntervalMs: number;
}): Promise<TimerLoop> {
  return startFinishedJobReaction(
    {
      name: 'workflow',
      queue: deps.topology.queues.workflows,
      reaction: 'workflow',
      onFinished: (jobId) => deps.engine.jobFinished(jobId).then(() => undefined),
      sweep: (ms) => deps.engine.sweep(ms),
    },
    deps,
  );
}

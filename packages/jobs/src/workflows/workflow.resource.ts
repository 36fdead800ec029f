import type { WorkflowResource, WorkflowStepResource } from '@conveyor/contracts';
import type { WorkflowDoc } from './workflow.model.js';
import { countStates, stateOf } from './workflow.tree.js';

/** The API's view of a workflow (contract: `workflowResourceSchema`). */
export function toWorkflowResource(doc: WorkflowDoc): WorkflowResource {
  const steps: WorkflowStepResource[] = doc.order.map((id) => {
    const s = doc.steps[id]!;
    const job = s.kind === 'job';
    return {
      id,
      kind: s.kind,
      name: s.name,
      type: s.type,
      state: stateOf(doc, id),
      jobId: job ? s.jobId : null,
      run: job ? s.run : null,
      error: s.error,
      startedAt: s.startedAt?.toISOString() ?? null,
      finishedAt: s.finishedAt?.toISOString() ?? null,
      steps: s.children,
    };
  });
  return {
    id: doc._id.toHexString(),
    name: doc.name,
    status: doc.status,
    policy: doc.policy,
    owner: doc.owner,
    root: doc.root,
    steps,
    counts: countStates(doc),
    runs: doc.runs,
    scheduleId: doc.scheduleId,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    finishedAt: doc.finishedAt?.toISOString() ?? null,
  };
}

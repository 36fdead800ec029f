import type { JobResource, WorkflowResource, WorkflowStepResource } from '../api';

/** A job, workflow or step status as a labelled badge (colour and text: never colour alone). */
export function Status({
  status,
}: {
  status: JobResource['status'] | WorkflowResource['status'] | WorkflowStepResource['state'];
}) {
  return <span class={`status status-${status}`}>{status}</span>;
}

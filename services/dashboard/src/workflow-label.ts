import type { WorkflowResource } from './api';

/**
 * What to call a workflow: its name, or for an unnamed one what it is made of — the root's
 * kind and its job types in first-seen order, e.g. `chord of demo.count, data.process`.
 */
export function workflowLabel(wf: Pick<WorkflowResource, 'name' | 'root' | 'steps'>): string {
  if (wf.name) return wf.name;
  const root = wf.steps.find((s) => s.id === wf.root);
  const types = [...new Set(wf.steps.flatMap((s) => (s.type ? [s.type] : [])))];
  const shown = types.length > 3 ? `${types.slice(0, 3).join(', ')} …` : types.join(', ');
  if (!root || root.kind === 'job') return `Unnamed workflow: ${shown}`;
  return `Unnamed ${root.kind} of ${shown}`;
}

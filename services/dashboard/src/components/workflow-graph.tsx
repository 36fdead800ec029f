import type { WorkflowResource, WorkflowStepResource } from '../api';
import { Status } from './status';

/** What a job step's box says: the step's state, or `running` when its job is known to run. */
export type StepLabel = WorkflowStepResource['state'] | 'running';

interface GraphProps {
  workflow: WorkflowResource;
  /** Job statuses known for steps in state `created`, by job id (from reads and live events). */
  jobStatus: ReadonlyMap<string, string>;
}

/** The label of a job step: `created` becomes `running` once its job runs. */
export function stepLabel(step: WorkflowStepResource, jobStatus: ReadonlyMap<string, string>) {
  if (step.state === 'created' && step.jobId && jobStatus.get(step.jobId) === 'running')
    return 'running';
  return step.state;
}

/**
 * A workflow drawn as nested boxes: a chain reads left to right (an ordered list with arrows),
 * a group's members are stacked in parallel (an unordered list), a chord is its header group
 * followed by its body. Each job step is a box coloured by state with the state in text,
 * linking to the step's job once it exists. Lists carry their kind in their label, so a screen
 * reader hears the structure as well.
 */
export function WorkflowGraph({ workflow, jobStatus }: GraphProps) {
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  const root = byId.get(workflow.root);
  if (!root) return <p class="muted">This workflow has no steps.</p>;

  const node = (step: WorkflowStepResource, depth: number) => {
    if (depth > 16) return null;
    const members = step.steps
      .map((id) => byId.get(id))
      .filter((s): s is WorkflowStepResource => s !== undefined);
    if (step.kind === 'job') return <JobBox step={step} label={stepLabel(step, jobStatus)} />;
    const name = step.name ? ` ${step.name}` : '';
    if (step.kind === 'group')
      return (
        <ul
          class={`wf-group wf-state-${step.state}`}
          aria-label={`Group${name}: ${members.length} in parallel, ${step.state}`}
        >
          {members.map((m) => (
            <li key={m.id}>{node(m, depth + 1)}</li>
          ))}
        </ul>
      );
    const label =
      step.kind === 'chord'
        ? `Chord${name}: header, then body, ${step.state}`
        : `Chain${name}: ${members.length} in order, ${step.state}`;
    return (
      <ol class={`wf-chain wf-${step.kind} wf-state-${step.state}`} aria-label={label}>
        {members.map((m, i) => (
          <li key={m.id}>
            {i > 0 && (
              <span class="wf-arrow" aria-hidden="true">
                →
              </span>
            )}
            {node(m, depth + 1)}
          </li>
        ))}
      </ol>
    );
  };

  return (
    // n.b. focusable, so the keyboard can scroll a graph wider than the page
    <div
      class="wf-graph"
      data-testid="workflow-graph"
      role="region"
      aria-label="Steps graph"
      tabIndex={0}
    >
      {node(root, 0)}
    </div>
  );
}

function JobBox({ step, label }: { step: WorkflowStepResource; label: StepLabel }) {
  const title = step.name ?? step.type ?? step.id;
  const body = (
    <>
      <span class="wf-step-name">{title}</span>
      {step.name && step.type ? <span class="wf-step-type">{step.type}</span> : null}
      <Status status={label} />
      {step.error ? (
        <span class="wf-step-error">
          {step.error.code}: {step.error.message}
        </span>
      ) : null}
    </>
  );
  const common = {
    class: `wf-step wf-step-${label}`,
    'data-step-id': step.id,
    'data-step-state': label,
  };
  return step.jobId ? (
    <a {...common} href={`#/jobs/${step.jobId}`}>
      {body}
    </a>
  ) : (
    <span {...common}>{body}</span>
  );
}

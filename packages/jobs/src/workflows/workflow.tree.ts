import type { FailurePolicy, StepSpec, StepState } from '@conveyor/contracts';
import type { StepDoc, WorkflowDoc } from './workflow.model.js';

/** The part of a workflow the pure planning functions read. */
export type WorkflowTree = Pick<WorkflowDoc, 'root' | 'steps'>;

/** Steps of a submitted tree, flattened: ids `s0`, `s1`, ... with parents before members. */
export function flattenSteps(root: StepSpec): {
  root: string;
  steps: Record<string, StepDoc>;
  order: string[];
} {
  const steps: Record<string, StepDoc> = {};
  const order: string[] = [];
  const base = (
    kind: StepDoc['kind'],
    name: string | undefined,
    parent: string | null,
  ): StepDoc => ({
    id: `s${order.length}`,
    kind,
    name: name ?? null,
    parent,
    children: [],
    type: null,
    payload: null,
    input: null,
    priority: null,
    maxAttempts: null,
    timeoutMs: null,
    state: 'pending',
    run: 1,
    jobId: null,
    error: null,
    startedAt: null,
    finishedAt: null,
  });
  const add = (step: StepDoc): StepDoc => {
    steps[step.id] = step;
    order.push(step.id);
    return step;
  };
  const visit = (spec: StepSpec, parent: string | null): string => {
    if (spec.kind === 'job') {
      const step = add(base('job', spec.name, parent));
      step.type = spec.type;
      step.payload = JSON.stringify(spec.payload ?? null);
      step.input = spec.input ?? null;
      step.priority = spec.priority ?? null;
      step.maxAttempts = spec.maxAttempts ?? null;
      step.timeoutMs = spec.timeoutMs ?? null;
      return step.id;
    }
    const step = add(base(spec.kind, spec.name, parent));
    if (spec.kind === 'chord') {
      const header = add(base('group', undefined, step.id));
      header.children = spec.header.map((s) => visit(s, header.id));
      step.children = [header.id, visit(spec.body, step.id)];
    } else {
      step.children = spec.steps.map((s) => visit(s, step.id));
    }
    return step.id;
  };
  return { root: visit(root, null), steps, order };
}

const stepOf = (tree: WorkflowTree, id: string): StepDoc => {
  const step = tree.steps[id];
  if (!step) throw new Error(`workflow has no step ${id}`);
  return step;
};

/** The job steps under a step (itself, for a job step), in order. */
export function jobStepsUnder(tree: WorkflowTree, id: string): StepDoc[] {
  const step = stepOf(tree, id);
  if (step.kind === 'job') return [step];
  return step.children.flatMap((c) => jobStepsUnder(tree, c));
}

/**
 * The step whose output a job step waits for and receives: the member before it (or before
 * its nearest ancestor that has one) in a chain or chord; null when it starts with the workflow.
 */
export function predecessorOf(tree: WorkflowTree, id: string): string | null {
  let cur = stepOf(tree, id);
  while (cur.parent !== null) {
    const parent = stepOf(tree, cur.parent);
    if (parent.kind === 'chain' || parent.kind === 'chord') {
      const at = parent.children.indexOf(cur.id);
      if (at > 0) return parent.children[at - 1]!;
    }
    cur = parent;
  }
  return null;
}

const DEAD: readonly StepState[] = ['failed', 'cancelled', 'skipped'];

/** A composite step's state, derived from its job steps (a job step's is its own). */
export function stateOf(tree: WorkflowTree, id: string): StepState {
  const step = stepOf(tree, id);
  if (step.kind === 'job') return step.state;
  const states = jobStepsUnder(tree, id).map((s) => s.state);
  if (states.every((s) => s === 'succeeded')) return 'succeeded';
  if (states.every((s) => s === 'pending')) return 'pending';
  const dead = DEAD.find((d) => states.includes(d));
  if (dead && !states.includes('created')) return dead;
  return 'created';
}

/**
 * The step's output as its successor receives it: a job step's result; a chain's or chord's
 * last member's output; a group's members' outputs in order. `results` maps job ids to results.
 */
export function outputOf(tree: WorkflowTree, id: string, results: Map<string, unknown>): unknown {
  const step = stepOf(tree, id);
  if (step.kind === 'job') return step.jobId ? (results.get(step.jobId) ?? null) : null;
  if (step.kind === 'group') return step.children.map((c) => outputOf(tree, c, results));
  return outputOf(tree, step.children.at(-1)!, results);
}

/** What a workflow should do next, from its current state (see {@link planWorkflow}). */
export interface WorkflowPlan {
  /** Pending job steps whose predecessor succeeded (or that have none): create their jobs. */
  ready: { id: string; predecessor: string | null }[];
  /** Pending job steps that can never run (their predecessor failed, was cancelled or skipped). */
  skip: string[];
  /** fail-fast and a job step failed or was cancelled: stop the workflow. */
  failFast: boolean;
  /** Nothing is running and nothing can start: the workflow's final status. */
  finished: 'succeeded' | 'failed' | null;
}

/**
 * Plans the next moves of a running workflow. Pure: the caller applies the plan with
 * conditional updates, so two planners racing on the same state both plan the same thing and
 * only one of each move lands.
 */
export function planWorkflow(tree: WorkflowTree, policy: FailurePolicy): WorkflowPlan {
  const jobs = jobStepsUnder(tree, tree.root);
  if (policy === 'fail-fast' && jobs.some((s) => s.state === 'failed' || s.state === 'cancelled'))
    return { ready: [], skip: [], failFast: true, finished: null };
  // n.b. skipping cascades: a step skipped here makes its successors unreachable too
  const state = new Map(jobs.map((s) => [s.id, s.state]));
  const view: WorkflowTree = {
    root: tree.root,
    steps: Object.fromEntries(
      Object.entries(tree.steps).map(([id, s]) => [
        id,
        s.kind === 'job' ? { ...s, state: state.get(id)! } : s,
      ]),
    ),
  };
  const skip: string[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (const s of jobs) {
      if (state.get(s.id) !== 'pending') continue;
      const pred = predecessorOf(view, s.id);
      if (pred && DEAD.includes(stateOf(view, pred))) {
        state.set(s.id, 'skipped');
        view.steps[s.id] = { ...view.steps[s.id]!, state: 'skipped' };
        skip.push(s.id);
        changed = true;
      }
    }
  }
  const ready: WorkflowPlan['ready'] = [];
  for (const s of jobs) {
    if (state.get(s.id) !== 'pending') continue;
    const pred = predecessorOf(view, s.id);
    if (pred === null || stateOf(view, pred) === 'succeeded')
      ready.push({ id: s.id, predecessor: pred });
  }
  const active = jobs.some((s) => {
    const st = state.get(s.id);
    return st === 'pending' || st === 'created';
  });
  const finished = active
    ? null
    : jobs.every((s) => state.get(s.id) === 'succeeded')
      ? 'succeeded'
      : 'failed';
  return { ready, skip, failFast: false, finished };
}

/** Job steps per state. */
export function countStates(tree: WorkflowTree): Record<StepState, number> {
  const counts: Record<StepState, number> = {
    pending: 0,
    created: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    skipped: 0,
  };
  for (const s of jobStepsUnder(tree, tree.root)) counts[s.state]++;
  return counts;
}

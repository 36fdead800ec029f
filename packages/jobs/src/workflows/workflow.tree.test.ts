import { describe, expect, it } from '@jest/globals';
import type { StepSpec, StepState } from '@conveyor/contracts';
import { placeInput, selectPath } from './workflow.input.js';
import {
  countStates,
  flattenSteps,
  outputOf,
  planWorkflow,
  predecessorOf,
  stateOf,
  type WorkflowTree,
} from './workflow.tree.js';

const job = (name: string, extra: Partial<Extract<StepSpec, { kind: 'job' }>> = {}): StepSpec => ({
  kind: 'job',
  name,
  type: 'demo.echo',
  payload: { name },
  ...extra,
});

// chain[ fetch, chord{ header: [left, right], body: merge }, mail ]
const spec: StepSpec = {
  kind: 'chain',
  name: 'pipeline',
  steps: [
    job('fetch'),
    { kind: 'chord', name: 'fan', header: [job('left'), job('right')], body: job('merge') },
    job('mail', { input: { into: 'summary', as: 'value' } }),
  ],
};

function build(): WorkflowTree & { id: (name: string) => string } {
  const { root, steps } = flattenSteps(spec);
  const id = (name: string): string => {
    const found = Object.values(steps).find((s) => s.name === name);
    if (!found) throw new Error(`no step ${name}`);
    return found.id;
  };
  return { root, steps, id };
}

function set(tree: ReturnType<typeof build>, states: Record<string, StepState>): void {
  for (const [name, state] of Object.entries(states)) {
    const step = tree.steps[tree.id(name)]!;
    step.state = state;
    if (state !== 'pending') step.jobId = `job-${name}`;
  }
}

const readyNames = (tree: ReturnType<typeof build>, policy: 'fail-fast' | 'continue') =>
  planWorkflow(tree, policy).ready.map((r) => tree.steps[r.id]!.name);

describe('flattenSteps', () => {
  it('numbers steps parents first and stores a chord as [header group, body]', () => {
    const { root, steps, order } = flattenSteps(spec);
    expect(root).toBe('s0');
    expect(order).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
    expect(steps['s2']).toMatchObject({ kind: 'chord', children: ['s3', 's6'] });
    expect(steps['s3']).toMatchObject({ kind: 'group', parent: 's2', children: ['s4', 's5'] });
    expect(steps['s1']).toMatchObject({ payload: '{"name":"fetch"}', state: 'pending', run: 1 });
  });
});

describe('dependency resolution', () => {
  it('starts only the first step, then the whole chord header at once', () => {
    const tree = build();
    expect(readyNames(tree, 'fail-fast')).toEqual(['fetch']);
    set(tree, { fetch: 'created' });
    expect(readyNames(tree, 'fail-fast')).toEqual([]);
    set(tree, { fetch: 'succeeded' });
    expect(readyNames(tree, 'fail-fast')).toEqual(['left', 'right']);
    const plan = planWorkflow(tree, 'fail-fast');
    expect(plan.ready.every((r) => r.predecessor === tree.id('fetch'))).toBe(true);
  });

  it('names the predecessor across nesting levels', () => {
    const tree = build();
    expect(predecessorOf(tree, tree.id('fetch'))).toBeNull();
    expect(predecessorOf(tree, tree.id('left'))).toBe(tree.id('fetch'));
    expect(predecessorOf(tree, tree.id('merge'))).toBe('s3');
    expect(predecessorOf(tree, tree.id('mail'))).toBe(tree.id('fan'));
  });
});

describe('chord fan-in', () => {
  it('starts the body only when every header member succeeded', () => {
    const tree = build();
    set(tree, { fetch: 'succeeded', left: 'succeeded', right: 'created' });
    expect(readyNames(tree, 'fail-fast')).toEqual([]);
    expect(stateOf(tree, 's3')).toBe('created');
    set(tree, { right: 'succeeded' });
    expect(stateOf(tree, 's3')).toBe('succeeded');
    expect(readyNames(tree, 'fail-fast')).toEqual(['merge']);
  });

  it('is the same plan however often it is computed (racing planners agree)', () => {
    const tree = build();
    set(tree, { fetch: 'succeeded', left: 'succeeded', right: 'succeeded' });
    expect(planWorkflow(tree, 'continue')).toEqual(planWorkflow(tree, 'continue'));
  });
});

describe('result passing', () => {
  it('gives a group its members’ results in order and a chain its last member’s', () => {
    const tree = build();
    set(tree, { fetch: 'succeeded', left: 'succeeded', right: 'succeeded', merge: 'succeeded' });
    const results = new Map<string, unknown>([
      ['job-fetch', { rows: 3 }],
      ['job-left', { counted: 1 }],
      ['job-right', { counted: 2 }],
      ['job-merge', { total: 3 }],
    ]);
    expect(outputOf(tree, 's3', results)).toEqual([{ counted: 1 }, { counted: 2 }]);
    expect(outputOf(tree, tree.id('fan'), results)).toEqual({ total: 3 });
    expect(outputOf(tree, tree.id('mail'), results)).toBeNull();
    expect(selectPath(outputOf(tree, 's3', results), '*.counted')).toEqual([1, 2]);
    expect(placeInput({ to: 'a@b.c' }, { into: 'data.summary', as: 'json' }, { total: 3 })).toEqual(
      { to: 'a@b.c', data: { summary: '{"total":3}' } },
    );
  });
});

describe('failure propagation', () => {
  it('fail-fast stops the workflow on the first failed member', () => {
    const tree = build();
    set(tree, { fetch: 'succeeded', left: 'failed', right: 'created' });
    expect(planWorkflow(tree, 'fail-fast')).toEqual({
      ready: [],
      skip: [],
      failFast: true,
      finished: null,
    });
  });

  it('continue skips everything downstream of a failure, transitively, and finishes failed', () => {
    const tree = build();
    set(tree, { fetch: 'succeeded', left: 'failed', right: 'created' });
    let plan = planWorkflow(tree, 'continue');
    expect(plan.failFast).toBe(false);
    expect(plan.ready).toEqual([]);
    expect(plan.finished).toBeNull(); // right is still running
    set(tree, { right: 'succeeded' });
    plan = planWorkflow(tree, 'continue');
    expect(plan.skip.map((id) => tree.steps[id]!.name).sort()).toEqual(['mail', 'merge']);
    expect(plan.finished).toBe('failed');
  });

  it('finishes succeeded when every job step succeeded', () => {
    const tree = build();
    set(tree, {
      fetch: 'succeeded',
      left: 'succeeded',
      right: 'succeeded',
      merge: 'succeeded',
      mail: 'succeeded',
    });
    expect(planWorkflow(tree, 'fail-fast').finished).toBe('succeeded');
    expect(countStates(tree)).toMatchObject({ succeeded: 5, pending: 0 });
  });
});

import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import {
  envelope,
  isTerminal,
  unknownTypeMessage,
  WORKFLOW_LIMITS,
  workflowEventKey,
  workflowLifecycleEvent,
  type FailurePolicy,
  type JobTypeLookup,
  type StepSpec,
  type StepState,
} from '@conveyor/contracts';
import { publishEnvelope, type Logger } from '@conveyor/platform';
import type { JobCore } from '../core.js';
import { isDuplicateKey } from '../duplicate-keys.js';
import type { JobDoc } from '../job.model.js';
import type { NewJob } from '../job.repository.js';
import { cancelJob } from '../use-cases/cancel.js';
import { submitJobs } from '../use-cases/submit.js';
import type { StepDoc, WorkflowDoc } from './workflow.model.js';
import { placeInput } from './workflow.input.js';
import { WorkflowStore } from './workflow.store.js';
import {
  countStates,
  flattenSteps,
  jobStepsUnder,
  outputOf,
  planWorkflow,
  type WorkflowPlan,
} from './workflow.tree.js';

/** The idempotency key of a job step's job: one job per workflow, step and run, ever. */
export const stepJobKey = (workflowId: string, stepId: string, run: number) =>
  `workflow:${workflowId}:${stepId}:${run}`;

/** The workflow, step and run a job belongs to, from its idempotency key; null for others. */
export function parseStepJobKey(
  key: string | null,
): { workflowId: string; stepId: string; run: number } | null {
  const m = key ? /^workflow:([a-f0-9]{24}):(s\d+):(\d+)$/.exec(key) : null;
  return m ? { workflowId: m[1]!, stepId: m[2]!, run: Number(m[3]) } : null;
}

/** What a new workflow is made of (already validated, see `parseWorkflow`). */
export interface NewWorkflow {
  root: StepSpec;
  name: string | null;
  policy: FailurePolicy;
  owner: string;
  ownerEmail: string | null;
  scheduleId?: string | null;
  /** A schedule fire's key: at most one workflow is ever created with it. */
  fireKey?: string;
}

/** The result of {@link WorkflowEngine.retry}. */
export type WorkflowRetry =
  | { kind: 'retried'; workflow: WorkflowDoc }
  | { kind: 'missing' }
  | { kind: 'not-retryable'; reason: string };

const FINAL_STATE: Record<'succeeded' | 'failed' | 'cancelled', StepState> = {
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

const step = (id: string) => `steps.${id}`;

/**
 * Runs workflows over the job core. Every move is a conditional update of the workflow's one
 * document, so it can be made by anyone, any number of times, concurrently: the API (after a
 * submit, cancel or retry), the scheduler's consumer of final-state lifecycle events, and its
 * sweep for events that were lost. A job step's job is created with the idempotency key
 * `workflow:<id>:<step>:<run>`, so even two planners that both found a step ready create one
 * job; the step after a group starts only once every member's completion is recorded in the
 * document — a fan-in by atomic state changes, never by a counter in memory.
 */
export class WorkflowEngine {
  readonly store: WorkflowStore;

  constructor(
    readonly core: JobCore,
    private readonly log: Logger,
    store?: WorkflowStore,
  ) {
    this.store = store ?? new WorkflowStore(core.repo.model.db);
  }

  /** Stores a workflow and starts its first steps. */
  async create(input: NewWorkflow): Promise<WorkflowDoc> {
    return (await this.createOnce(input)).workflow;
  }

  /**
   * Like {@link create}; with a `fireKey` already used, creates nothing and returns the
   * workflow that has it (`created` false), so racing replicas make one workflow per fire.
   */
  async createOnce(input: NewWorkflow): Promise<{ workflow: WorkflowDoc; created: boolean }> {
    const now = new Date();
    const { root, steps, order } = flattenSteps(input.root);
    const doc: WorkflowDoc = {
      _id: new Types.ObjectId(),
      owner: input.owner,
      ownerEmail: input.ownerEmail,
      name: input.name,
      policy: input.policy,
      status: 'running',
      root,
      steps,
      order,
      runs: 1,
      settling: false,
      scheduleId: input.scheduleId ?? null,
      ...(input.fireKey !== undefined ? { fireKey: input.fireKey } : {}),
      correlationId: randomUUID(),
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      sweptAt: now,
    };
    try {
      await this.store.insert(doc);
    } catch (err) {
      const existing =
        input.fireKey !== undefined && isDuplicateKey(err)
          ? await this.store.getByFireKey(input.fireKey)
          : null;
      if (!existing) throw err;
      return { workflow: existing, created: false };
    }
    await this.emit(doc);
    // n.b. a crash before the first steps exist is repaired by the sweep
    return { workflow: (await this.advance(doc._id)) ?? doc, created: true };
  }

  /**
   * Makes every move the workflow's state allows: skips unreachable steps, creates the jobs of
   * ready ones, stops it (fail-fast), finishes it. Idempotent; returns the document after.
   */
  async advance(id: Types.ObjectId): Promise<WorkflowDoc | null> {
    for (let round = 0; round < 1000; round++) {
      const doc = await this.store.get(id);
      if (!doc) return null;
      if (doc.status !== 'running') {
        if (doc.settling) return this.settle(doc);
        return doc;
      }
      const plan = planWorkflow(doc, doc.policy);
      if (!(await this.apply(doc, plan))) return doc;
    }
    throw new Error(`workflow ${id.toHexString()} did not settle`);
  }

  /** Applies one plan; true when something moved (the caller plans again). */
  private async apply(doc: WorkflowDoc, plan: WorkflowPlan): Promise<boolean> {
    const now = new Date();
    if (plan.failFast) {
      const stopped = await this.store.update(
        doc._id,
        { status: 'running', runs: doc.runs },
        { $set: { status: 'failed', settling: true, finishedAt: now, updatedAt: now } },
      );
      if (stopped) {
        await this.emit(stopped);
        await this.settle(stopped);
      }
      return true;
    }
    if (plan.skip.length > 0) {
      const filter: Record<string, unknown> = { status: 'running', runs: doc.runs };
      const set: Record<string, unknown> = { updatedAt: now };
      for (const s of plan.skip) {
        filter[`${step(s)}.state`] = 'pending';
        set[`${step(s)}.state`] = 'skipped';
        set[`${step(s)}.finishedAt`] = now;
      }
      await this.store.update(doc._id, filter, { $set: set });
      return true;
    }
    if (plan.ready.length > 0) {
      await this.start(doc, plan.ready);
      return true;
    }
    if (plan.finished) {
      const done = await this.store.update(
        doc._id,
        { status: 'running', runs: doc.runs },
        { $set: { status: plan.finished, finishedAt: now, updatedAt: now } },
      );
      if (done) {
        await this.emit(done);
        this.log.info(
          { workflowId: doc._id.toHexString(), status: plan.finished },
          'workflow finished',
        );
      }
      return done !== null;
    }
    return false;
  }

  /** Creates the jobs of ready steps (one batch) and records them as created. */
  private async start(doc: WorkflowDoc, ready: WorkflowPlan['ready']): Promise<void> {
    const now = new Date();
    const wfId = doc._id.toHexString();
    const inputs: { step: StepDoc; job: NewJob }[] = [];
    const invalid: { step: StepDoc; message: string }[] = [];
    const results = await this.resultsOf(doc, ready);
    const types = await this.core.catalogue.lookup(
      ready.map(({ id }) => doc.steps[id]!.type ?? ''),
    );
    for (const { id, predecessor } of ready) {
      const s = doc.steps[id]!;
      const made = this.jobOf(doc, s, predecessor, results, types);
      if ('error' in made) invalid.push({ step: s, message: made.error });
      else inputs.push({ step: s, job: made.job });
    }
    if (invalid.length > 0) {
      const filter: Record<string, unknown> = { status: 'running', runs: doc.runs };
      const set: Record<string, unknown> = { updatedAt: now };
      for (const { step: s, message } of invalid) {
        filter[`${step(s.id)}.state`] = 'pending';
        filter[`${step(s.id)}.run`] = s.run;
        set[`${step(s.id)}.state`] = 'failed';
        set[`${step(s.id)}.error`] = { code: 'INVALID_INPUT', message };
        set[`${step(s.id)}.finishedAt`] = now;
      }
      await this.store.update(doc._id, filter, { $set: set });
    }
    if (inputs.length === 0) return;
    // n.b. the key makes this one job per step and run whoever gets here, however often
    const submitted = await submitJobs(
      this.core,
      inputs.map((i) => i.job),
    );
    const filter: Record<string, unknown> = { status: 'running', runs: doc.runs };
    const set: Record<string, unknown> = { updatedAt: now };
    for (const [i, { step: s }] of inputs.entries()) {
      filter[`${step(s.id)}.state`] = 'pending';
      filter[`${step(s.id)}.run`] = s.run;
      set[`${step(s.id)}.state`] = 'created';
      set[`${step(s.id)}.jobId`] = submitted[i]!.job._id.toHexString();
      set[`${step(s.id)}.startedAt`] = now;
    }
    if (await this.store.update(doc._id, filter, { $set: set })) return;
    // another writer moved some of these steps (a completion recorded, a racing planner, a
    // cancel): record each one alone; a job created for a workflow that stopped is cancelled
    for (const [i, { step: s }] of inputs.entries()) {
      const job = submitted[i]!.job;
      const moved = await this.store.update(
        doc._id,
        {
          status: 'running',
          runs: doc.runs,
          [`${step(s.id)}.state`]: 'pending',
          [`${step(s.id)}.run`]: s.run,
        },
        {
          $set: {
            [`${step(s.id)}.state`]: 'created',
            [`${step(s.id)}.jobId`]: job._id.toHexString(),
            [`${step(s.id)}.startedAt`]: now,
            updatedAt: now,
          },
        },
      );
      if (moved) continue;
      const current = await this.store.get(doc._id);
      if (current && current.status !== 'running' && submitted[i]!.created) {
        await cancelJob(this.core, job._id.toHexString());
        this.log.info({ workflowId: wfId, stepId: s.id }, 'job of a stopped workflow cancelled');
      }
    }
  }

  /** The results of the jobs the ready steps' predecessors ran, by job id. */
  private async resultsOf(
    doc: WorkflowDoc,
    ready: WorkflowPlan['ready'],
  ): Promise<Map<string, unknown>> {
    const ids = new Set<string>();
    for (const r of ready)
      if (r.predecessor && doc.steps[r.id]!.input)
        for (const s of jobStepsUnder(doc, r.predecessor)) if (s.jobId) ids.add(s.jobId);
    const results = new Map<string, unknown>();
    if (ids.size === 0) return results;
    const jobs = await this.core.repo.queries.findFinishedAmong(
      [...ids].map((id) => new Types.ObjectId(id)),
    );
    for (const job of jobs)
      results.set(
        job._id.toHexString(),
        job.result === null ? null : (JSON.parse(job.result) as unknown),
      );
    return results;
  }

  /** A ready step's job, with its input placed and its payload checked as at submit. */
  private jobOf(
    doc: WorkflowDoc,
    s: StepDoc,
    predecessor: string | null,
    results: Map<string, unknown>,
    types: JobTypeLookup,
  ): { job: NewJob } | { error: string } {
    const known = types(s.type ?? '');
    if (!known) return { error: unknownTypeMessage(s.type ?? '', types) };
    const defaults = known.entry.defaults;
    let payload = JSON.parse(s.payload ?? 'null') as unknown;
    if (s.input)
      payload = placeInput(
        payload,
        s.input,
        predecessor ? outputOf(doc, predecessor, results) : null,
      );
    const parsed = known.check(payload);
    if (!parsed.success)
      return {
        error: parsed.issues
          .map((i) => `payload.${i.path.map(String).join('.')}: ${i.message}`)
          .join('; '),
      };
    if (Buffer.byteLength(JSON.stringify(parsed.data)) > WORKFLOW_LIMITS.payloadBytes)
      return { error: `payload with its input exceeds ${WORKFLOW_LIMITS.payloadBytes} bytes` };
    return {
      job: {
        type: known.name,
        payload: parsed.data,
        priority:
          s.priority ?? known.definition?.priorityOf?.(parsed.data as never) ?? defaults.priority,
        owner: doc.owner,
        ownerEmail: doc.ownerEmail,
        maxAttempts: s.maxAttempts ?? defaults.maxAttempts,
        timeoutMs: s.timeoutMs ?? defaults.timeoutMs,
        runAt: new Date(),
        idempotencyKey: stepJobKey(doc._id.toHexString(), s.id, s.run),
        reactions: ['workflow'],
        scheduleId: doc.scheduleId,
        correlationId: doc.correlationId,
        searchPaths: known.entry.search,
      },
    };
  }

  /**
   * Records that a job step's job reached a final state, then advances its workflow. A job
   * of no workflow, a stale run or a duplicate delivery changes nothing. Returns whether the
   * job belonged to a workflow.
   */
  async jobFinished(jobOrId: JobDoc | string): Promise<boolean> {
    const job = typeof jobOrId === 'string' ? await this.core.repo.get(jobOrId) : jobOrId;
    if (!job || !isTerminal(job.status)) return false;
    const ref = parseStepJobKey(job.idempotencyKey);
    if (!ref) return false;
    const id = new Types.ObjectId(ref.workflowId);
    const now = new Date();
    const final = job.status as 'succeeded' | 'failed' | 'cancelled';
    await this.store.update(
      id,
      {
        [`${step(ref.stepId)}.run`]: ref.run,
        [`${step(ref.stepId)}.state`]: { $in: ['pending', 'created'] },
      },
      {
        $set: {
          [`${step(ref.stepId)}.state`]: FINAL_STATE[final],
          [`${step(ref.stepId)}.jobId`]: job._id.toHexString(),
          [`${step(ref.stepId)}.error`]: job.error
            ? { code: job.error.code, message: job.error.message }
            : null,
          [`${step(ref.stepId)}.finishedAt`]: job.finishedAt ?? now,
          updatedAt: now,
        },
      },
    );
    await this.advance(id);
    return true;
  }

  /**
   * Cancels a running workflow: no step starts any more, pending steps are skipped and the
   * jobs of created ones are cancelled (running ones through their workers). Null when there
   * is no such running workflow (of `owner`).
   */
  async cancel(id: string, owner?: string): Promise<WorkflowDoc | null> {
    const current = await this.store.get(id, owner);
    if (!current) return null;
    const now = new Date();
    const stopped = await this.store.update(
      current._id,
      { status: 'running', ...(owner !== undefined ? { owner } : {}) },
      { $set: { status: 'cancelled', settling: true, finishedAt: now, updatedAt: now } },
    );
    if (!stopped) return null;
    await this.emit(stopped);
    return this.settle(stopped);
  }

  /**
   * Finishes stopping a workflow: skips its pending steps and cancels the jobs of its created
   * ones, then clears `settling`. Repeatable: the sweep calls it after a crash.
   */
  private async settle(doc: WorkflowDoc): Promise<WorkflowDoc | null> {
    const now = new Date();
    const pending = jobStepsUnder(doc, doc.root).filter((s) => s.state === 'pending');
    if (pending.length > 0) {
      const filter: Record<string, unknown> = { status: doc.status, runs: doc.runs };
      const set: Record<string, unknown> = { updatedAt: now };
      for (const s of pending) {
        filter[`${step(s.id)}.state`] = 'pending';
        set[`${step(s.id)}.state`] = 'skipped';
        set[`${step(s.id)}.finishedAt`] = now;
      }
      await this.store.update(doc._id, filter, { $set: set });
    }
    for (const s of jobStepsUnder(doc, doc.root)) {
      if (s.state !== 'created' || !s.jobId) continue;
      const res = await cancelJob(this.core, s.jobId);
      // n.b. a job that finished meanwhile is recorded now (its event may be in flight too)
      if (res.kind === 'not-cancellable') await this.jobFinished(s.jobId);
    }
    return this.store.update(
      doc._id,
      { runs: doc.runs, status: doc.status },
      { $set: { settling: false } },
    );
  }

  /**
   * Retries a failed or cancelled workflow: its failed, cancelled and never-run steps start
   * again as a new run (new jobs); succeeded steps keep their results.
   */
  async retry(id: string, owner?: string): Promise<WorkflowRetry> {
    const doc = await this.store.get(id, owner);
    if (!doc) return { kind: 'missing' };
    if (doc.status !== 'failed' && doc.status !== 'cancelled')
      return { kind: 'not-retryable', reason: 'only failed or cancelled workflows can be retried' };
    if (doc.settling || jobStepsUnder(doc, doc.root).some((s) => s.state === 'created'))
      return {
        kind: 'not-retryable',
        reason: 'steps of the workflow are still stopping; retry once they have',
      };
    const now = new Date();
    const set: Record<string, unknown> = {
      status: 'running',
      finishedAt: null,
      settling: false,
      updatedAt: now,
    };
    for (const s of jobStepsUnder(doc, doc.root)) {
      if (s.state === 'succeeded') continue;
      set[`${step(s.id)}.state`] = 'pending';
      set[`${step(s.id)}.run`] = s.run + 1;
      set[`${step(s.id)}.jobId`] = null;
      set[`${step(s.id)}.error`] = null;
      set[`${step(s.id)}.startedAt`] = null;
      set[`${step(s.id)}.finishedAt`] = null;
    }
    const moved = await this.store.update(
      doc._id,
      { status: doc.status, runs: doc.runs },
      { $set: set, $inc: { runs: 1 } },
    );
    if (!moved)
      return { kind: 'not-retryable', reason: 'the workflow changed meanwhile; try again' };
    await this.emit(moved);
    return { kind: 'retried', workflow: (await this.advance(moved._id)) ?? moved };
  }

  /**
   * Repairs what lost events and crashes left: records the final states of created steps'
   * jobs and advances running workflows unchanged for `minAgeMs`, and finishes stopping
   * workflows that are still settling. Returns how many workflows it looked at.
   */
  async sweep(minAgeMs: number, limit = 100): Promise<number> {
    const stale = await this.store.findStale(minAgeMs, limit);
    for (const doc of stale) {
      const created = jobStepsUnder(doc, doc.root).filter((s) => s.state === 'created' && s.jobId);
      const finished = await this.core.repo.queries.findFinishedAmong(
        created.map((s) => new Types.ObjectId(s.jobId!)),
      );
      for (const job of finished) await this.jobFinished(job);
      await this.advance(doc._id);
    }
    await this.store.markSwept(
      stale.map((d) => d._id),
      new Date(),
    );
    const settling = await this.store.findSettling(limit);
    for (const doc of settling) await this.settle(doc);
    return stale.length + settling.length;
  }

  /** Publishes the workflow's lifecycle event (best effort, like job events). */
  private async emit(doc: WorkflowDoc): Promise<void> {
    const env = envelope(
      workflowLifecycleEvent,
      {
        workflowId: doc._id.toHexString(),
        owner: doc.owner,
        status: doc.status,
        counts: countStates(doc),
      },
      { correlationId: doc.correlationId },
    );
    try {
      await publishEnvelope(
        this.core.amqp,
        workflowLifecycleEvent,
        this.core.topology.exchanges.events,
        workflowEventKey(doc.status),
        env,
        { mandatory: false },
      );
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'workflow event not published');
    }
  }
}

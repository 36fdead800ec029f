import type { CronTime } from 'cron';
import { DEFAULT_JOB_TYPE_DEFAULTS, parseWorkflow, typesIn } from '@conveyor/contracts';
import { SpanKind, startSpan, type Logger } from '@conveyor/platform';
import type { JobCore } from '../core.js';
import type { JobDoc } from '../job.model.js';
import { submitJob } from '../use-cases/submit.js';
import { WorkflowEngine } from '../workflows/workflow.engine.js';
import type { WorkflowDoc } from '../workflows/workflow.model.js';
import { dueFireTimes, nextFireTime, parseCron } from './cron.js';
import { decideFire } from './fire-decision.js';
import type { ScheduleDoc } from './schedule.model.js';
import type { ScheduleRepository } from './schedule.repository.js';

/** More on-time fires than this in one scan means a sub-second schedule: only the latest runs. */
const MAX_ON_TIME = 10;

/** What one {@link ScheduleFirer.fireDue} pass did. */
export interface FirePassResult {
  /** Jobs this replica created (another replica's duplicate does not count). */
  fired: number;
  misfires: number;
  overlapsSkipped: number;
  /** Schedules whose cron no longer parses; they are disabled (nextFireAt = null). */
  broken: number;
}

/** What one fire submitted: the schedule's job or its workflow, and whether this call created it. */
export type Fired =
  | { kind: 'job'; job: JobDoc; created: boolean }
  | { kind: 'workflow'; workflow: WorkflowDoc; created: boolean };

/** A schedule's stored workflow no longer passes the checks of a submitted one. */
export class InvalidWorkflowTemplateError extends Error {
  constructor(readonly errors: { field: string; message: string }[]) {
    super(
      `the schedule's workflow is no longer valid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    );
    this.name = 'InvalidWorkflowTemplateError';
  }
}

/** Options of {@link ScheduleFirer}. */
export interface ScheduleFirerOptions {
  /** How late a fire may be and still run under misfire policy `skip` (default 5000 ms). */
  toleranceMs?: number;
  /** Schedules handled per query (default 500). */
  batch?: number;
}

/**
 * Turns due schedules into jobs or workflows. Safe with any number of replicas and no
 * leader: each fire has the key `schedule:<id>:<fire time ISO>` — a job's idempotency key, a
 * workflow's unique `fireKey` — so only one insert wins, only the winner dispatches or starts
 * the first steps, and `nextFireAt` advances conditionally.
 */
export class ScheduleFirer {
  private readonly toleranceMs: number;
  private readonly batch: number;
  private readonly workflows: WorkflowEngine;

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly core: JobCore,
    private readonly log: Logger,
    opts: ScheduleFirerOptions = {},
  ) {
    this.toleranceMs = opts.toleranceMs ?? 5000;
    this.batch = opts.batch ?? 500;
    this.workflows = new WorkflowEngine(core, log);
  }

  /** Handles every enabled schedule whose `nextFireAt <= now`. */
  async fireDue(now = new Date()): Promise<FirePassResult> {
    const result: FirePassResult = { fired: 0, misfires: 0, overlapsSkipped: 0, broken: 0 };
    const due = await this.schedules.findDue(now, this.batch);
    for (const s of due) {
      try {
        await this.handle(s, now, result);
      } catch (err) {
        this.log.error(
          { err, scheduleId: s._id.toHexString() },
          'schedule fire failed; retried next pass',
        );
      }
    }
    return result;
  }

  private async handle(s: ScheduleDoc, now: Date, result: FirePassResult): Promise<void> {
    const expected = s.nextFireAt;
    if (!expected) return;
    let ct;
    try {
      ct = parseCron(s.cron, s.timezone);
    } catch (err) {
      // n.b. the API validates expressions; this guards against a library upgrade rejecting one.
      return this.stopBroken(s, expected, result, err, 'schedule cron no longer parses; stopped');
    }
    const due = dueFireTimes(ct, s.timezone, expected, now);
    const onTime = this.onTimeFires(ct, s.timezone, expected, now);
    const active = s.overlapPolicy === 'skip' ? await this.hasActive(s) : false;
    const decision = decideFire({
      due,
      now,
      misfirePolicy: s.misfirePolicy,
      overlapPolicy: s.overlapPolicy,
      hasActiveJob: active,
      onTime,
    });
    const after = due.latest && due.latest.getTime() > now.getTime() ? due.latest : now;
    const next = nextFireTime(ct, s.timezone, after);
    let fired: { at: Date; jobId?: string; workflowId?: string } | undefined;
    for (const at of decision.fireAt) {
      let f: Fired;
      try {
        f = await this.submit(s, at, `schedule:${s._id.toHexString()}:${at.toISOString()}`);
      } catch (err) {
        if (!(err instanceof InvalidWorkflowTemplateError)) throw err;
        // n.b. like a cron that stopped parsing: stop the schedule rather than fail each pass
        return this.stopBroken(s, expected, result, err, 'schedule workflow invalid; stopped');
      }
      if (f.created) result.fired++;
      fired =
        f.kind === 'job'
          ? { at, jobId: f.job._id.toHexString() }
          : { at, workflowId: f.workflow._id.toHexString() };
    }
    const advanced = await this.schedules.advance(s._id, expected, next, fired);
    // n.b. count drops only once: the replica that advanced is the one whose view was current.
    if (advanced) {
      result.misfires += decision.misfires;
      if (decision.overlapSkipped) result.overlapsSkipped++;
      if (decision.misfires > 0) {
        this.log.warn(
          { scheduleId: s._id.toHexString(), misfires: decision.misfires, policy: s.misfirePolicy },
          'schedule missed fire times',
        );
      }
    }
  }

  /** Due fire times no older than the tolerance, oldest first (at most {@link MAX_ON_TIME}). */
  private onTimeFires(ct: CronTime, tz: string, first: Date, now: Date): Date[] {
    const from = Math.max(first.getTime(), now.getTime() - this.toleranceMs);
    const out: Date[] = [];
    // n.b. start 1 ms early: nextFireTimes is strictly after its start and `from` may be a fire time.
    let t = nextFireTime(ct, tz, new Date(from - 1));
    while (t.getTime() <= now.getTime() && out.length < MAX_ON_TIME) {
      out.push(t);
      t = nextFireTime(ct, tz, t);
    }
    return out.length === MAX_ON_TIME ? out.slice(-1) : out;
  }

  /** Stops a schedule that can no longer fire (nextFireAt null), counted as broken. */
  private async stopBroken(
    s: ScheduleDoc,
    expected: Date,
    result: FirePassResult,
    err: unknown,
    msg: string,
  ): Promise<void> {
    result.broken++;
    this.log.error({ err, scheduleId: s._id.toHexString() }, msg);
    await this.schedules.advance(s._id, expected, null);
  }

  /** Whether the schedule's previous job or workflow is still pending or running. */
  private async hasActive(s: ScheduleDoc): Promise<boolean> {
    const id = s._id.toHexString();
    return s.workflowTemplate
      ? this.workflows.store.hasRunningForSchedule(id)
      : this.core.repo.queries.hasActiveForSchedule(id);
  }

  /**
   * Submits the schedule's job or workflow for `fireAt` under `key` (a job: the submit use
   * case, stored, announced, dispatched when this call created it; a workflow: stored and its
   * first steps started, once per key). Also the API's manual trigger, whose request's
   * `traceparent` is `parent`.
   */
  async submit(s: ScheduleDoc, fireAt: Date, key: string, parent?: string | null): Promise<Fired> {
    if (s.workflowTemplate) {
      const spec = JSON.parse(s.workflowTemplate.spec) as unknown;
      const parsed = parseWorkflow(spec, await this.core.catalogue.lookup(typesIn(spec)));
      if (!parsed.ok) throw new InvalidWorkflowTemplateError(parsed.errors);
      const { workflow, created } = await this.workflows.createOnce({
        root: parsed.root,
        name: parsed.name,
        policy: parsed.policy,
        owner: s.owner,
        ownerEmail: s.ownerEmail,
        scheduleId: s._id.toHexString(),
        fireKey: key,
      });
      return { kind: 'workflow', workflow, created };
    }
    const t = s.jobTemplate;
    if (!t) throw new Error(`schedule ${s._id.toHexString()} has neither a job nor a workflow`);
    const entry = (await this.core.catalogue.lookup([t.type]))(t.type)?.entry;
    const def = entry?.defaults;
    // n.b. a job fire is a span, `fire <type>`: the root of a trace of its own for a cron fire,
    // a child of the trigger request for a manual one; the job continues that trace (its
    // publish, consume and run spans descend from it). A fire another replica already
    // created ends with conveyor.job_created false; the job keeps the first fire's trace.
    const span = startSpan(`fire ${t.type}`, {
      parent: parent ?? null,
      kind: SpanKind.INTERNAL,
      attributes: {
        'conveyor.schedule_id': s._id.toHexString(),
        'conveyor.job_type': t.type,
        'conveyor.fire_at': fireAt.toISOString(),
      },
    });
    try {
      const { job, created } = await submitJob(this.core, {
        type: t.type,
        payload: JSON.parse(t.payload) as unknown,
        priority: t.priority,
        owner: s.owner,
        ownerEmail: s.ownerEmail,
        maxAttempts: t.maxAttempts ?? def?.maxAttempts ?? DEFAULT_JOB_TYPE_DEFAULTS.maxAttempts,
        timeoutMs: t.timeoutMs ?? def?.timeoutMs ?? DEFAULT_JOB_TYPE_DEFAULTS.timeoutMs,
        runAt: fireAt,
        idempotencyKey: key,
        scheduleId: s._id.toHexString(),
        traceparent: span.traceparent,
        searchPaths: entry?.search,
      });
      span.span.setAttributes({
        'conveyor.job_id': job._id.toHexString(),
        'conveyor.job_created': created,
      });
      span.end();
      return { kind: 'job', job, created };
    } catch (err) {
      span.end(err);
      throw err;
    }
  }
}

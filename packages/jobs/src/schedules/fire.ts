import type { CronTime } from 'cron';
import { findJobType } from '@conveyor/contracts';
import type { Logger } from '@conveyor/platform';
import type { JobCore } from '../core.js';
import { submitJob, type Submitted } from '../use-cases/submit.js';
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

/** Options of {@link ScheduleFirer}. */
export interface ScheduleFirerOptions {
  /** How late a fire may be and still run under misfire policy `skip` (default 5000 ms). */
  toleranceMs?: number;
  /** Schedules handled per query (default 500). */
  batch?: number;
}

/**
 * Turns due schedules into jobs. Safe with any number of replicas and no leader: each fire's
 * job has the idempotency key `schedule:<id>:<fire time ISO>`, whose unique dedupe key lets
 * only one insert win, only the winner dispatches, and `nextFireAt` advances conditionally.
 */
export class ScheduleFirer {
  private readonly toleranceMs: number;
  private readonly batch: number;

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly core: JobCore,
    private readonly log: Logger,
    opts: ScheduleFirerOptions = {},
  ) {
    this.toleranceMs = opts.toleranceMs ?? 5000;
    this.batch = opts.batch ?? 500;
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
      result.broken++;
      this.log.error(
        { err, scheduleId: s._id.toHexString() },
        'schedule cron no longer parses; stopped',
      );
      await this.schedules.advance(s._id, expected, null);
      return;
    }
    const due = dueFireTimes(ct, s.timezone, expected, now);
    const onTime = this.onTimeFires(ct, s.timezone, expected, now);
    const active =
      s.overlapPolicy === 'skip'
        ? await this.core.repo.queries.hasActiveForSchedule(s._id.toHexString())
        : false;
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
    let fired: { at: Date; jobId: string } | undefined;
    for (const at of decision.fireAt) {
      const { job, created } = await this.submit(
        s,
        at,
        `schedule:${s._id.toHexString()}:${at.toISOString()}`,
      );
      if (created) result.fired++;
      fired = { at, jobId: job._id.toHexString() };
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

  /**
   * Submits the schedule's job for `fireAt` under `idempotencyKey` (the submit use case:
   * stored, announced, dispatched when this call created it). Also the API's manual trigger.
   */
  async submit(s: ScheduleDoc, fireAt: Date, idempotencyKey: string): Promise<Submitted> {
    const t = s.jobTemplate;
    const def = findJobType(t.type);
    return submitJob(this.core, {
      type: t.type,
      payload: JSON.parse(t.payload) as unknown,
      priority: t.priority,
      owner: s.owner,
      ownerEmail: s.ownerEmail,
      maxAttempts: t.maxAttempts ?? def?.maxAttempts ?? 3,
      timeoutMs: t.timeoutMs ?? def?.timeoutMs ?? 60_000,
      runAt: fireAt,
      idempotencyKey,
      scheduleId: s._id.toHexString(),
    });
  }
}

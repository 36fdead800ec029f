import {
  envelope,
  jobDispatch,
  LANES,
  laneExchange,
  laneOf,
  priorityRank,
  type Lane,
  type Topology,
} from '@conveyor/contracts';
import {
  publishEnvelope,
  type AmqpClient,
  type Logger,
  SpanKind,
  startSpan,
} from '@conveyor/platform';
import type { JobDoc } from './job.model.js';
import { snapshotOf } from './dispatch-snapshot.js';
import type { JobRepository } from './job.repository.js';

/**
 * Publishes work-queue messages for queued jobs (the second half of the outbox): the job is
 * already stored as `queued`; the dispatch is published with a confirm, then the job is
 * marked published. If the broker is unreachable the job stays unpublished and the
 * scheduler's sweeper publishes it later, so an accepted job is never lost.
 *
 * With `markDelayMs`, marks are written a moment later in batches (one `updateMany` for many
 * jobs instead of a write per job); a mark only applies to a job still queued and unmarked,
 * so one that a worker claimed meanwhile is left alone. A crash before the mark leaves a job
 * the sweeper publishes once more; the duplicate dispatch is refused by the claim.
 */
export class JobDispatcher {
  private pendingMarks: JobDoc[] = [];
  private markTimer: NodeJS.Timeout | null = null;
  private marking: Promise<void> = Promise.resolve();

  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly repo: JobRepository,
    private readonly log: Logger,
    /**
     * How long a confirmed dispatch waits before it is marked published, in a batch (the
     * API: 500). 0 marks right after the confirm, which leaves the sweeper the least to
     * publish twice after a crash (the scheduler, whose dispatches are few).
     */
    private readonly markDelayMs = 0,
  ) {}

  /** Publishes the dispatch of a queued job's next attempt; false if not confirmed. */
  async dispatch(job: JobDoc): Promise<boolean> {
    if (!(await this.publish(job))) return false;
    await this.mark([job]);
    return true;
  }

  /** The confirmed ones of `jobs` (publishMany's answer) are marked published. */
  async markConfirmed(jobs: JobDoc[], confirmed: Set<string>): Promise<void> {
    await this.mark(jobs.filter((j) => confirmed.has(j._id.toHexString())));
  }

  /** Writes the pending published marks now (at shutdown, before the store closes). */
  async flush(): Promise<void> {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = null;
    const jobs = this.pendingMarks;
    this.pendingMarks = [];
    this.marking = this.marking.then(async () => {
      for (let i = 0; i < jobs.length; i += 500) {
        try {
          const ids = jobs.slice(i, i + 500).map((j) => j._id);
          await this.repo.transitionMany('markPublished', ids, { at: new Date() });
        } catch (err) {
          // n.b. the sweeper publishes these again; their claim refuses the duplicate
          this.log.warn(
            { err: (err as Error).message, jobs: jobs.length },
            'published marks not written',
          );
        }
      }
    });
    await this.marking;
  }

  private async mark(jobs: JobDoc[]): Promise<void> {
    this.pendingMarks.push(...jobs);
    if (this.markDelayMs === 0) return this.flush();
    if (this.markTimer) return;
    this.markTimer = setTimeout(() => void this.flush(), this.markDelayMs);
    this.markTimer.unref();
  }

  private async publish(job: JobDoc, lane: Lane = laneOf(job.priority)): Promise<boolean> {
    const attempt = job.attempts + 1;
    const span = startSpan(`publish ${job.type}`, {
      parent: job.traceparent,
      kind: SpanKind.PRODUCER,
      attributes: { 'conveyor.job_id': job._id.toHexString(), 'conveyor.attempt': attempt },
    });
    // n.b. the job as it stands, for a worker whose claim lands to run it without a read
    const snapshot = snapshotOf(job);
    const env = envelope(
      jobDispatch,
      {
        jobId: job._id.toHexString(),
        type: job.type,
        attempt,
        priority: job.priority,
        ...(snapshot ? { job: snapshot } : {}),
      },
      { correlationId: job.correlationId, traceparent: span.traceparent },
    );
    const exchange = laneExchange(this.topo, lane);
    try {
      await publishEnvelope(this.amqp, jobDispatch, exchange, job.type, env, {
        priority: priorityRank(job.priority),
      });
      span.end();
    } catch (err) {
      span.end(err);
      this.log.warn(
        { jobId: env.data.jobId, traceId: span.traceId, err: (err as Error).message },
        'dispatch not confirmed; left for the outbox sweeper',
      );
      return false;
    }
    return true;
  }

  /**
   * Of the worker groups `queues`, those whose work queues (both lanes) hold no ready
   * message: a queued job of theirs whose dispatch went out long ago has no message waiting
   * any more. A group whose queues do not exist (yet) is not idle: nothing can be routed
   * there, and the outbox sweeper keeps its jobs.
   */
  async idleQueues(queues: readonly string[]): Promise<string[]> {
    const idle: string[] = [];
    for (const queue of queues) {
      let ready = 0;
      try {
        await this.amqp.withChannel(async (ch) => {
          for (const lane of LANES)
            ready += (await ch.checkQueue(this.topo.queues.work(queue, lane))).messageCount;
        });
      } catch {
        continue; // n.b. checkQueue of a missing queue closes its channel: not idle, skip it
      }
      if (ready === 0) idle.push(queue);
    }
    return idle;
  }

  /**
   * Publishes the dispatches of many jobs with up to `concurrency` confirms in flight; returns
   * the ids (hex) of the confirmed ones. Writes nothing. `lane` sends them all to one lane
   * (fair dispatch's releases); by default each goes to its priority's lane.
   */
  async publishMany(jobs: JobDoc[], concurrency = 200, lane?: Lane): Promise<Set<string>> {
    let next = 0;
    const confirmed = new Set<string>();
    const lanes = Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        if (await this.publish(job, lane)) confirmed.add(job._id.toHexString());
      }
    });
    await Promise.all(lanes);
    return confirmed;
  }

  /**
   * Dispatches many queued jobs (publishMany); the confirmed ones are marked published a
   * moment later. Returns how many were confirmed.
   */
  async dispatchMany(jobs: JobDoc[], concurrency = 200): Promise<number> {
    const ids = await this.publishMany(jobs, concurrency);
    await this.mark(jobs.filter((j) => ids.has(j._id.toHexString())));
    return ids.size;
  }
}

import { envelope, jobDispatch, laneOf, priorityRank, type Topology } from '@conveyor/contracts';
import { publishEnvelope, type AmqpClient, type Logger } from '@conveyor/platform';
import type { JobDoc } from './job.model.js';
import type { JobRepository } from './job.repository.js';

/**
 * Publishes work-queue messages for queued jobs (the second half of the outbox): the job is
 * already stored as `queued`; the dispatch is published with a confirm, then the job is
 * marked published. If the broker is unreachable the job stays unpublished and the
 * scheduler's sweeper publishes it later, so an accepted job is never lost.
 */
export class JobDispatcher {
  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly repo: JobRepository,
    private readonly log: Logger,
  ) {}

  /** Publishes the dispatch of a queued job's next attempt and marks it published; false if not confirmed. */
  async dispatch(job: JobDoc): Promise<boolean> {
    if (!(await this.publish(job))) return false;
    await this.repo.markPublished(job);
    return true;
  }

  private async publish(job: JobDoc): Promise<boolean> {
    const attempt = job.attempts + 1;
    const env = envelope(
      jobDispatch,
      { jobId: job._id.toHexString(), type: job.type, attempt, priority: job.priority },
      { correlationId: job.correlationId },
    );
    const lane = laneOf(job.priority);
    const exchange =
      lane === 'priority' ? this.topo.exchanges.jobsPriority : this.topo.exchanges.jobs;
    try {
      await publishEnvelope(this.amqp, jobDispatch, exchange, job.type, env, {
        priority: priorityRank(job.priority),
      });
    } catch (err) {
      this.log.warn(
        { jobId: env.data.jobId, err: (err as Error).message },
        'dispatch not confirmed; left for the outbox sweeper',
      );
      return false;
    }
    return true;
  }

  /**
   * Publishes the dispatches of many jobs with up to `concurrency` confirms in flight; returns
   * the ids (hex) of the confirmed ones. Writes nothing.
   */
  async publishMany(jobs: JobDoc[], concurrency = 200): Promise<Set<string>> {
    let next = 0;
    const confirmed = new Set<string>();
    const lanes = Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        if (await this.publish(job)) confirmed.add(job._id.toHexString());
      }
    });
    await Promise.all(lanes);
    return confirmed;
  }

  /**
   * Dispatches many queued jobs (publishMany), then marks the confirmed ones published in
   * batches; returns how many were confirmed.
   */
  async dispatchMany(jobs: JobDoc[], concurrency = 200): Promise<number> {
    const ids = await this.publishMany(jobs, concurrency);
    const confirmed = jobs.filter((j) => ids.has(j._id.toHexString()));
    // n.b. small batches: workers claiming these jobs wait while their revision is fenced
    for (let i = 0; i < confirmed.length; i += 100)
      await this.repo.markPublishedMany(confirmed.slice(i, i + 100));
    return confirmed.length;
  }
}

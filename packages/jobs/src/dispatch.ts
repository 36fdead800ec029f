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

  /** Publishes the dispatch of a queued job's next attempt; false if it was not confirmed. */
  async dispatch(job: JobDoc): Promise<boolean> {
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
    await this.repo.markPublished(job);
    return true;
  }

  /** Dispatches many jobs with up to `concurrency` confirms in flight; returns how many were confirmed. */
  async dispatchMany(jobs: JobDoc[], concurrency = 200): Promise<number> {
    let next = 0;
    let confirmed = 0;
    const lanes = Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        if (await this.dispatch(job)) confirmed++;
      }
    });
    await Promise.all(lanes);
    return confirmed;
  }
}

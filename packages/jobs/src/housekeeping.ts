import { jobTypesOf } from '@conveyor/contracts';
import type { Logger } from '@conveyor/platform';
import type { JobRepository } from './job.repository.js';
import type { JobDispatcher } from './dispatch.js';
import type { JobEvents } from './events.js';
import type { JobDoc } from './job.model.js';

/** What one housekeeping pass did. */
export interface PassResult {
  promoted: JobDoc[];
  published: number;
  reaped: JobDoc[];
}

/**
 * The job-side housekeeping the scheduler runs; every step is safe with any number of
 * replicas because each state change is a fenced update and each replica publishes only
 * the jobs its own update moved.
 */
export class JobHousekeeping {
  constructor(
    private readonly repo: JobRepository,
    private readonly dispatcher: JobDispatcher,
    private readonly events: JobEvents,
    private readonly log: Logger,
  ) {}

  /**
   * Promotes due scheduled jobs (delays and retries) to queued and dispatches them, batch
   * after batch while full batches come back.
   */
  async promoteDue(now = new Date(), batch = 5000): Promise<JobDoc[]> {
    const all: JobDoc[] = [];
    for (;;) {
      const { found, promoted } = await this.repo.maintenance.promoteDue(now, batch, (jobs) =>
        this.dispatcher.publishMany(jobs),
      );
      all.push(...promoted);
      for (const job of promoted) void this.events.lifecycle(job);
      if (found < batch) break;
    }
    return all;
  }

  /** Publishes queued jobs whose dispatch was never confirmed, older than `graceMs`. */
  async sweepUnpublished(graceMs = 5000, batch = 1000): Promise<number> {
    const stale = await this.repo.maintenance.findUnpublished(
      new Date(Date.now() - graceMs),
      batch,
    );
    if (stale.length === 0) return 0;
    const n = await this.dispatcher.dispatchMany(stale);
    this.log.info(
      { found: stale.length, published: n },
      'outbox sweeper published unpublished jobs',
    );
    return n;
  }

  /**
   * The safety net behind the outbox: a queued job whose dispatch was confirmed more than
   * `staleMs` ago while its service's queues hold no ready message lost its message (dead-
   * lettered after repeated handler failures, a purged queue, broker data loss). Publishes
   * it again and marks it published now. Services with a backlog are left alone, so a long
   * queue is never duplicated; a duplicate that does reach a worker is refused by the claim.
   */
  async redispatchStale(staleMs: number, batch = 1000): Promise<number> {
    const idle = await this.dispatcher.idleServices();
    const types = idle.flatMap((s) => jobTypesOf(s).map((t) => t.name));
    const stale = await this.repo.maintenance.findStaleQueued(
      new Date(Date.now() - staleMs),
      types,
      batch,
    );
    if (stale.length === 0) return 0;
    const n = await this.dispatcher.dispatchMany(stale);
    this.log.warn(
      {
        found: stale.length,
        published: n,
        jobs: stale.slice(0, 20).map((j) => j._id.toHexString()),
      },
      'republished queued jobs whose dispatch was lost',
    );
    return n;
  }

  /** Re-queues (or fails) running jobs whose lease expired, and dispatches the re-queued ones. */
  async reapExpired(now = new Date(), batch = 500): Promise<JobDoc[]> {
    const reaped = await this.repo.maintenance.reapExpired(now, batch);
    if (reaped.length === 0) return reaped;
    await this.dispatcher.dispatchMany(reaped.filter((j) => j.status === 'queued'));
    for (const job of reaped) void this.events.lifecycle(job);
    this.log.warn(
      { jobs: reaped.map((j) => j._id.toHexString()) },
      'reaped jobs whose lease expired',
    );
    return reaped;
  }
}

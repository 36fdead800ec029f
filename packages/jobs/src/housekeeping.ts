import type { Logger } from '@conveyor/platform';
import type { JobTypeCatalogue } from './catalogue/catalogue.js';
import type { JobRepository } from './job.repository.js';
import type { JobDispatcher } from './dispatch.js';
import type { JobDoc } from './job.model.js';

/**
 * The scheduler's job-side use cases. Every step is safe with any number of replicas: each
 * state change is one conditional write, and each replica dispatches only the jobs its own
 * write moved.
 */
export class JobHousekeeping {
  constructor(
    private readonly repo: JobRepository,
    private readonly dispatcher: JobDispatcher,
    private readonly log: Logger,
    private readonly catalogue: JobTypeCatalogue,
  ) {}

  /**
   * Promotes due scheduled jobs (delays and retries) to queued and dispatches them, in passes
   * of `batch` while full passes come back. Returns the jobs this replica promoted.
   */
  async promoteDue(now = new Date(), batch = 5000): Promise<JobDoc[]> {
    const all: JobDoc[] = [];
    for (;;) {
      const { found, promoted } = await this.repo.promoteDue(now, batch, async (jobs) => {
        const confirmed = await this.dispatcher.publishMany(jobs);
        await this.dispatcher.markConfirmed(jobs, confirmed);
      });
      all.push(...promoted);
      // n.b. a full pass that moved nothing was taken by other replicas: theirs to finish
      if (found < batch || promoted.length === 0) break;
    }
    return all;
  }

  /** Publishes queued jobs whose dispatch was never confirmed, older than `graceMs`. */
  async publishUnpublished(graceMs = 5000, batch = 1000): Promise<number> {
    const stale = await this.repo.queries.findUnpublished(new Date(Date.now() - graceMs), batch);
    if (stale.length === 0) return 0;
    const n = await this.dispatcher.dispatchMany(stale);
    this.log.info(
      { found: stale.length, published: n },
      'outbox sweeper published unpublished jobs',
    );
    return n;
  }

  /**
   * Publishes the final lifecycle events still owed by jobs that finished more than `graceMs`
   * ago (see JobDoc.eventPendingAt); returns how many the broker confirmed.
   */
  async publishPendingFinalEvents(graceMs = 10_000, batch = 1000): Promise<number> {
    const n = await this.repo.publishPendingFinalEvents(new Date(Date.now() - graceMs), batch);
    if (n > 0) this.log.info({ published: n }, 'event sweep published owed final events');
    return n;
  }

  /**
   * The safety net behind the outbox: a queued job whose dispatch was confirmed more than
   * `staleMs` ago while its service's queues hold no ready message lost its message (dead-
   * lettered after repeated handler failures, a purged queue, broker data loss). Publishes
   * it again. Services with a backlog are left alone, so a long queue is never duplicated;
   * a duplicate that does reach a worker is refused by the claim.
   */
  async redispatchStale(staleMs: number, batch = 1000): Promise<number> {
    const entries = (await this.catalogue.records()).map((r) => r.entry);
    const idle = new Set(
      await this.dispatcher.idleQueues([...new Set(entries.map((e) => e.queue))]),
    );
    const types = entries.filter((e) => idle.has(e.queue)).map((e) => e.name);
    const stale = await this.repo.queries.findStaleQueued(
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

  /**
   * Running jobs whose lease expired (worker killed or hung): -> queued for another attempt
   * (and dispatched), -> failed when none is left, -> cancelled when a cancel was requested.
   * Returns the jobs this replica moved.
   */
  async expireLeases(now = new Date(), batch = 500): Promise<JobDoc[]> {
    const expired = await this.repo.queries.findExpiredLeases(now, batch);
    const moved: JobDoc[] = [];
    for (const job of expired) {
      const to = job.cancelRequested
        ? 'cancelled'
        : job.attempts < job.maxAttempts
          ? 'queued'
          : 'failed';
      const doc = await this.repo.transition('expireLease', job._id, {
        leaseToken: job.leaseToken ?? '',
        cancelRequested: job.cancelRequested,
        to,
        workerId: job.workerId,
      });
      if (doc) moved.push(doc);
    }
    if (moved.length === 0) return moved;
    await this.dispatcher.dispatchMany(moved.filter((j) => j.status === 'queued'));
    this.log.warn(
      { jobs: moved.map((j) => j._id.toHexString()) },
      'reaped jobs whose lease expired',
    );
    return moved;
  }
}

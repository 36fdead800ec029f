import type { Types, mongo } from 'mongoose';
import type { JobDoc } from './job.model.js';

/**
 * Unsets `eventPendingAt` on finished jobs whose final lifecycle event the broker confirmed,
 * in batches: the marks confirmed within `delayMs` go out as one unordered `bulkWrite`. Each
 * unset is conditional on the exact mark it saw, so a job finished again since (retried, then
 * done) keeps the newer mark. A mark left behind (a crash, a failed write) only makes the
 * event sweep publish that final event once more.
 */
export class FinalEventMarks {
  private pending: { _id: Types.ObjectId; at: Date }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** Batches whose write failed (their events are published again by the sweep). */
  failures = 0;

  constructor(
    private readonly jobs: mongo.Collection<JobDoc>,
    /** How long a confirmed mark waits to be unset with others. @default 200 */
    private readonly delayMs = 200,
  ) {}

  /** The final event of `job` (as written with `eventPendingAt`) was confirmed. */
  confirmed(job: Pick<JobDoc, '_id' | 'eventPendingAt'>): void {
    if (!job.eventPendingAt) return;
    this.pending.push({ _id: job._id, at: job.eventPendingAt });
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
    this.timer.unref();
  }

  /** Writes the pending unsets now (at shutdown, before the store closes). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const marks = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      for (let i = 0; i < marks.length; i += 1000) {
        const ops = marks.slice(i, i + 1000).map(({ _id, at }) => ({
          updateOne: {
            filter: { _id, eventPendingAt: at },
            update: { $unset: { eventPendingAt: '' } },
          },
        }));
        // n.b. a lost unset costs a duplicate event from the sweep, never a lost one
        await this.jobs.bulkWrite(ops as never, { ordered: false }).catch(() => this.failures++);
      }
    });
    await this.writing;
  }
}

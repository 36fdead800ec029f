import type { Types } from 'mongoose';
import { Counter, type Logger, type Registry } from '@conveyor/platform';
import type { JobDoc, JobModel } from './job.model.js';
import { FENCE_TTL_MS, type RevisionGuard } from './revision-guard.js';
import { withStoreRetry } from './store-retry.js';

/** Thrown instead of writing when a fence was held too long to still be trusted. */
export class FenceExpiredError extends Error {
  constructor(id: Types.ObjectId) {
    super(`the write fence on job ${id.toHexString()} expired before the write could land`);
    this.name = 'FenceExpiredError';
  }
}

/** Throws instead of letting a write land more than half the fence TTL after its claim. */
export function fenceStillOpen(id: Types.ObjectId, claimedAt: number): void {
  if (Date.now() - claimedAt > FENCE_TTL_MS / 2) throw new FenceExpiredError(id);
}

/**
 * Fenced writes of job documents (see RevisionGuard): every change of a job goes through
 * {@link JobFence.write}, and claims abandoned by a dead writer are repaired here.
 */
export class JobFence {
  constructor(
    private readonly model: JobModel,
    private readonly guard: RevisionGuard,
  ) {}

  /**
   * The one way a job document changes: read it (or take the caller's fresh copy), check
   * `accept`, claim its revision in the guard, then write `changes` with `rev + 1`. Losing
   * the guard means another writer moved first: re-read and decide again (up to `tries`).
   * Returns the job after the change, or null when `accept` refused it.
   */
  async write(
    id: Types.ObjectId,
    accept: (doc: JobDoc) => boolean,
    changes: (doc: JobDoc) => Partial<JobDoc>,
    known?: JobDoc,
    tries = 20,
    onContention: 'throw' | 'skip' = 'throw',
  ): Promise<JobDoc | null> {
    let doc: JobDoc | null = known ?? null;
    for (let i = 0; i < tries; i++) {
      doc ??= await withStoreRetry(() => this.model.findById(id).lean<JobDoc>());
      if (!doc || !accept(doc)) return null;
      const rev = doc.rev;
      if (await withStoreRetry(() => this.guard.acquire(id, rev))) {
        const claimed = Date.now();
        const set = { ...changes(doc), rev: rev + 1, updatedAt: new Date() };
        // n.b. the fence is ours now: this write must land, so transient store errors are
        // retried — but never later than half the fence TTL, after which the claim counts as
        // abandoned and may be repaired. The `rev` condition is a second line of defence (on
        // MongoDB it alone would do); both parts are looked up by the _id index.
        const res = await withStoreRetry(() => {
          fenceStillOpen(id, claimed);
          return this.model.updateOne({ _id: id, rev }, { $set: set });
        });
        if (res.matchedCount === 1) return { ...doc, ...set };
        doc = null;
        continue;
      }
      if (i > 0 && (await this.repairAbandoned(id, rev))) {
        doc = null;
        continue;
      }
      doc = null;
      // n.b. the winner's write usually lands within milliseconds; don't spin on the old revision
      await new Promise((r) => setTimeout(r, Math.min(100, 2 + i * 5)));
    }
    if (onContention === 'skip') return null;
    throw new Error(`job ${id.toHexString()} is being written too often to change it now`);
  }

  /**
   * A writer that claimed `rev` and died before its write leaves the job at `rev` with the
   * claim taken, so no other writer could ever move it. Once the claim is older than the
   * fence TTL (its writer gives up at half of it), one repairer moves the job to `rev + 1`
   * unchanged; the abandoned change is simply lost, like a crash just before it. True when
   * the job may have moved (re-read and try again).
   */
  async repairAbandoned(id: Types.ObjectId, rev: number, now = Date.now()): Promise<boolean> {
    const since = await withStoreRetry(() => this.guard.heldSince(id, rev));
    if (!since || now - since.getTime() < FENCE_TTL_MS) return false;
    const current = await this.model.findById(id, { rev: 1 }).lean<{ rev: number }>();
    if (!current || current.rev !== rev) return current !== null;
    if (!(await withStoreRetry(() => this.guard.acquireRepair(id, rev, now)))) return false;
    await withStoreRetry(() =>
      this.model.updateOne({ _id: id, rev }, { $set: { rev: rev + 1, updatedAt: new Date() } }),
    );
    this.onRepair?.(id, rev);
    return true;
  }

  /** Called when an abandoned fence was repaired (metrics, logs). */
  onRepair?: (id: Types.ObjectId, rev: number) => void;
}

/**
 * Logs every repair of an abandoned claim and counts it in
 * `conveyor_job_fence_repairs_total` (a writer died between its claim and its write).
 */
export function reportFenceRepairs(fence: JobFence, registry: Registry, log: Logger): void {
  const repairs = new Counter({
    name: 'conveyor_job_fence_repairs_total',
    help: 'Job write claims abandoned by a writer that died before writing, repaired',
    registers: [registry],
  });
  fence.onRepair = (id, rev) => {
    repairs.inc();
    log.warn({ jobId: id.toHexString(), rev }, 'repaired a write claim abandoned by a dead writer');
  };
}

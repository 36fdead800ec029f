import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { JobRepository } from './job.repository.js';
import { TransitionBatcher } from './worker/transition-batcher.js';

export interface StoreWarmUpOptions {
  /** Synthetic jobs to run through the store. @default 6000 */
  jobs?: number;
  /** Jobs created per insert, as a batch submission creates them. @default 100 */
  batch?: number;
  /** Claims and outcomes in flight at once, as the processor's concurrency allows. @default 32 */
  concurrency?: number;
}

/**
 * Runs synthetic no-op jobs through the job store's hot paths on `conn` — a batch insert, the
 * outbox's published mark, claims (from the job's copy, as a dispatch carries it) and outcomes
 * batched as a worker writes them (under event ledgers), a page of the owner's list — with Conveyor's own repository code,
 * so the commands are the ones the services send. Meant for a scratch database of a store
 * that compiles its code as it runs: the local MongoDB-wire server is a JVM whose first few
 * thousand jobs cost several times the CPU of later ones. `scripts/infra.sh` runs it once
 * after starting that server (`scripts/lib/warm-store.mjs`) and drops the database after.
 * Publishes no events (its sink confirms them without sending). Returns how many jobs ran and
 * how long it took.
 */
export async function warmUpStore(
  conn: Connection,
  options: StoreWarmUpOptions = {},
): Promise<{ jobs: number; ms: number }> {
  const total = options.jobs ?? 6000;
  const batch = options.batch ?? 100;
  const concurrency = options.concurrency ?? 32;
  const started = performance.now();
  // n.b. a sink that confirms every event, so outcomes take the workers' event-ledger path
  const repo = new JobRepository(
    conn,
    { lifecycle: async () => true },
    { eventLedger: { by: 'store-warm-up' } },
  );
  await repo.ensureIndexes();
  const writes = new TransitionBatcher(repo);
  const owner = 'store-warm-up';
  const workerId = `warm-up-${process.pid}`;
  let done = 0;
  while (done < total) {
    const size = Math.min(batch, total - done);
    const created = await repo.createMany(
      Array.from({ length: size }, () => ({
        type: 'demo.count',
        payload: { to: 0 },
        priority: 'normal' as const,
        owner,
        maxAttempts: 3,
        timeoutMs: 60_000,
        runAt: new Date(),
      })),
    );
    const ids = created.map((c) => c.job._id);
    await repo.transitionMany('markPublished', ids, { at: new Date() });
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < created.length) {
          // n.b. claimed from the created job as a worker claims from its dispatch's copy
          const queued = created[next++]!.job;
          const leaseToken = randomUUID();
          const claimed = await writes.applyTo(
            'moveToRunning',
            queued,
            { attempt: 1, workerId, leaseToken, leaseMs: 30_000, maxAttempts: queued.maxAttempts },
            { quiet: true },
          );
          if (!claimed)
            throw new Error(`store warm-up: the claim of ${queued._id.toHexString()} was refused`);
          await writes.applyTo('moveToSucceeded', claimed, {
            leaseToken,
            result: { count: 0 },
          });
        }
      }),
    );
    // n.b. the reads of the API and the scheduler's sweeps too: compiled only for the job
    // writes above, the server's query matcher would be compiled again when they arrive
    const now = new Date();
    const q = repo.queries;
    await Promise.all([
      repo.list({ owner, status: 'succeeded', limit: 50 }),
      repo.get(ids[0]!.toHexString(), owner),
      q.findDue(now, 10),
      q.nextDue(),
      q.findUnpublished(now, 10),
      q.findFinalEventPending(now, 10),
      repo.publishPendingFinalEvents(new Date(0), 10),
      q.findStaleQueued(now, ['demo.count'], 10),
      q.findExpiredLeases(now, 10),
      q.findFinishedAmong(ids.slice(0, 10)),
      conn.collection('paused_types').find({}).toArray(),
    ]);
    done += size;
  }
  await repo.eventLedger?.flush();
  return { jobs: done, ms: performance.now() - started };
}

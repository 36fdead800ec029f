import { setTimeout as sleep } from 'node:timers/promises';
import { Types, type Connection, type mongo } from 'mongoose';
import { builtinJobTypes, searchKeysOf } from '@conveyor/contracts';
import type { JobCatalogueReader } from './catalogue/catalogue.js';
import { COLLECTIONS } from './collections.js';
import type { JobDoc } from './job.model.js';

/** Options of {@link backfillSearchKeys}. */
export interface SearchBackfillOptions {
  /**
   * Jobs read (with their payloads) and written per round trip: memory holds one batch.
   * @default 200
   */
  batchSize?: number;
  /** Resume: only jobs with a greater id (a previous run's `lastId`). @default the oldest job */
  after?: string;
  /** A pause between batches, to spare a busy store. @default 0 (ms) */
  pauseMs?: number;
  /** Stops after the batch under way; the result's `lastId` resumes from there. @default none */
  signal?: AbortSignal;
  /** Called after each batch with the totals so far. @default none */
  onBatch?: (progress: SearchBackfillProgress) => void;
}

/** Totals of a {@link backfillSearchKeys} run. */
export interface SearchBackfillProgress {
  /** Jobs without `searchKeys` read. */
  read: number;
  /** Jobs given their keys. */
  updated: number;
  /** Jobs whose payload holds nothing searchable: left without keys, as a submit leaves them. */
  nothingSearchable: number;
  /** Jobs given keys by another writer, or deleted, between the read and the write. */
  raced: number;
  /**
   * Jobs of a type neither the catalogue nor the built-ins know: keyed by the default paths
   * (every top-level field holding a scalar or an array of them).
   */
  unknownType: number;
  /** Jobs whose stored payload is not JSON: left without keys. */
  unreadable: number;
  /** The greatest job id read so far (resume with `after`); null before the first batch. */
  lastId: string | null;
  /** True when the run stopped on its signal rather than at the last job. */
  stopped: boolean;
}

type Candidate = Pick<JobDoc, '_id' | 'type' | 'payload'>;

/**
 * Stores `searchKeys` on jobs that have none — those stored before payload search existed —
 * with the code a submit uses (`searchKeysOf` over the paths the job type declares in the
 * catalogue now). Walks the jobs by ascending `_id` one batch at a time, so memory holds one
 * batch and a run can resume after the last id it reported. Safe while the system runs: each
 * write is conditional on the job still having no keys and sets only `searchKeys`, so it never
 * undoes another writer's change; a job deleted meanwhile is simply not matched. Idempotent:
 * a job that has keys is never read again, and one whose payload holds nothing searchable is
 * read again but never written.
 */
export async function backfillSearchKeys(
  conn: Connection,
  catalogue: JobCatalogueReader,
  opts: SearchBackfillOptions = {},
): Promise<SearchBackfillProgress> {
  const batchSize = opts.batchSize ?? 200;
  const jobs = conn.collection<JobDoc>(COLLECTIONS.jobs);
  const builtins = new Map(builtinJobTypes().map((d) => [d.name, d]));
  const progress: SearchBackfillProgress = {
    read: 0,
    updated: 0,
    nothingSearchable: 0,
    raced: 0,
    unknownType: 0,
    unreadable: 0,
    lastId: opts.after ?? null,
    stopped: false,
  };
  for (;;) {
    if (opts.signal?.aborted) return { ...progress, stopped: true };
    const after =
      progress.lastId === null ? {} : { _id: { $gt: new Types.ObjectId(progress.lastId) } };
    const batch = (await jobs
      .find({ searchKeys: { $exists: false }, ...after } as mongo.Filter<JobDoc>, {
        projection: { _id: 1, type: 1, payload: 1 },
      })
      .sort({ _id: 1 })
      .limit(batchSize)
      .toArray()) as Candidate[];
    if (batch.length === 0) return progress;
    const lookup = await catalogue.lookup([...new Set(batch.map((j) => j.type))]);
    const writes: mongo.AnyBulkWriteOperation<JobDoc>[] = [];
    for (const job of batch) {
      const known = lookup(job.type);
      if (!known && !builtins.has(job.type)) progress.unknownType += 1;
      const paths = known ? known.entry.search : builtins.get(job.type)?.search;
      const payload = parsePayload(job.payload);
      const keys = payload.ok ? searchKeysOf(payload.value, paths) : [];
      if (!payload.ok) progress.unreadable += 1;
      else if (keys.length === 0) progress.nothingSearchable += 1;
      else
        writes.push({
          updateOne: {
            // n.b. only while it still has none: never over keys another writer stored
            filter: { _id: job._id, searchKeys: { $exists: false } } as mongo.Filter<JobDoc>,
            update: { $set: { searchKeys: keys } },
          },
        });
    }
    if (writes.length > 0) {
      const res = await jobs.bulkWrite(writes, { ordered: false });
      progress.updated += res.modifiedCount;
      progress.raced += writes.length - res.modifiedCount;
    }
    progress.read += batch.length;
    progress.lastId = batch.at(-1)!._id.toHexString();
    opts.onBatch?.({ ...progress });
    if (batch.length < batchSize) return progress;
    if (opts.pauseMs)
      await sleep(opts.pauseMs, undefined, { signal: opts.signal }).catch((err: unknown) => {
        // n.b. a stop cuts the pause short; the next turn of the loop reports it
        if (!opts.signal?.aborted) throw err;
      });
  }
}

function parsePayload(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

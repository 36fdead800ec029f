import type { Connection, mongo } from 'mongoose';
import { COLLECTIONS } from './collections.js';

/** A paused job type (collection `paused_types`, keyed by the type's name). */
export interface PausedTypeDoc {
  _id: string;
  pausedAt: Date;
  /** The admin who paused it (`sub`). */
  by: string;
}

/** How long a worker trusts what it last read of the paused types. */
export const PAUSED_TYPES_CACHE_MS = 1000;

const collectionOf = (conn: Connection): mongo.Collection<PausedTypeDoc> =>
  conn.collection<PausedTypeDoc>(COLLECTIONS.pausedTypes);

/** Pauses `type` fleet-wide (idempotent: the first pause's time and admin are kept). */
export async function pauseType(
  conn: Connection,
  type: string,
  by: string,
): Promise<PausedTypeDoc> {
  const doc = await collectionOf(conn).findOneAndUpdate(
    { _id: type },
    { $setOnInsert: { pausedAt: new Date(), by } },
    { upsert: true, returnDocument: 'after' },
  );
  return doc ?? { _id: type, pausedAt: new Date(), by };
}

/** Resumes `type`; answers whether it was paused. */
export async function resumeType(conn: Connection, type: string): Promise<boolean> {
  return (await collectionOf(conn).deleteOne({ _id: type })).deletedCount > 0;
}

/** Every paused type, by name. */
export function listPausedTypes(conn: Connection): Promise<PausedTypeDoc[]> {
  return collectionOf(conn).find({}).sort({ _id: 1 }).toArray();
}

const caches = new WeakMap<Connection, { at: number; types: Promise<Set<string>> }>();

/**
 * Whether `type` is paused, as a worker asks before it claims a job: one read of the (few)
 * paused types per {@link PAUSED_TYPES_CACHE_MS} per process, so a pause reaches every
 * worker within about a second without a read per job. A failed read counts as not paused
 * (the claim's own store error follows) and is retried on the next call.
 */
export async function isTypePaused(conn: Connection, type: string): Promise<boolean> {
  const now = Date.now();
  let cached = caches.get(conn);
  if (!cached || now - cached.at > PAUSED_TYPES_CACHE_MS) {
    const types = listPausedTypes(conn).then(
      (docs) => new Set(docs.map((d) => d._id)),
      () => {
        caches.delete(conn);
        return new Set<string>();
      },
    );
    cached = { at: now, types };
    caches.set(conn, cached);
  }
  return (await cached.types).has(type);
}

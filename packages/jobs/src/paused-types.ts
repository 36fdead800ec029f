import type { Connection, mongo } from 'mongoose';
import { COLLECTIONS } from './collections.js';
import { listPausedQueues } from './paused-queues.js';

/** A paused job type (collection `paused_types`, keyed by the type's name). */
export interface PausedTypeDoc {
  _id: string;
  pausedAt: Date;
  /** The admin who paused it (`sub`). */
  by: string;
}

/** How long a worker trusts what it last read of the paused types and paused queues. */
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

/** What one read of the pauses holds: the paused types' and the paused queues' names. */
interface Pauses {
  types: Set<string>;
  queues: Set<string>;
}

const NOTHING_PAUSED: Pauses = { types: new Set(), queues: new Set() };

const caches = new WeakMap<Connection, { at: number; pauses: Promise<Pauses> }>();

/**
 * The paused types and queues as this process last read them: one read of both (few)
 * collections per {@link PAUSED_TYPES_CACHE_MS}, so a pause reaches every worker within about
 * a second without a read per job. A failed read counts as nothing paused (the claim's own
 * store error follows) and is retried on the next call.
 */
function pausesOf(conn: Connection): Promise<Pauses> {
  const now = Date.now();
  let cached = caches.get(conn);
  if (!cached || now - cached.at > PAUSED_TYPES_CACHE_MS) {
    const pauses = Promise.all([listPausedTypes(conn), listPausedQueues(conn)]).then(
      ([types, queues]) => ({
        types: new Set(types.map((d) => d._id)),
        queues: new Set(queues.map((d) => d._id)),
      }),
      () => {
        caches.delete(conn);
        return NOTHING_PAUSED;
      },
    );
    cached = { at: now, pauses };
    caches.set(conn, cached);
  }
  return cached.pauses;
}

/**
 * What holds a job of `type`, run by the worker group `queue`, as a worker asks before it
 * claims it: `'type'` when the type is paused, `'queue'` when its queue is, null when
 * neither. Served from one cached read of both collections per second per process.
 */
export async function pauseOf(
  conn: Connection,
  type: string,
  queue: string,
): Promise<'type' | 'queue' | null> {
  const pauses = await pausesOf(conn);
  if (pauses.types.has(type)) return 'type';
  if (pauses.queues.has(queue)) return 'queue';
  return null;
}

/** Whether `type` itself is paused (its queue aside), from the same cached read as {@link pauseOf}. */
export async function isTypePaused(conn: Connection, type: string): Promise<boolean> {
  return (await pausesOf(conn)).types.has(type);
}

import type { Connection, mongo } from 'mongoose';
import { COLLECTIONS } from './collections.js';

/**
 * A paused queue, i.e. worker group (collection `paused_queues`, keyed by the queue's
 * name): no job of any type the catalogue binds to it is claimed until it is resumed.
 */
export interface PausedQueueDoc {
  _id: string;
  pausedAt: Date;
  /** The admin who paused it (`sub`). */
  by: string;
}

const collectionOf = (conn: Connection): mongo.Collection<PausedQueueDoc> =>
  conn.collection<PausedQueueDoc>(COLLECTIONS.pausedQueues);

/** Pauses `queue` fleet-wide (idempotent: the first pause's time and admin are kept). */
export async function pauseQueue(
  conn: Connection,
  queue: string,
  by: string,
): Promise<PausedQueueDoc> {
  const doc = await collectionOf(conn).findOneAndUpdate(
    { _id: queue },
    { $setOnInsert: { pausedAt: new Date(), by } },
    { upsert: true, returnDocument: 'after' },
  );
  return doc ?? { _id: queue, pausedAt: new Date(), by };
}

/** Resumes `queue`; answers whether it was paused. */
export async function resumeQueue(conn: Connection, queue: string): Promise<boolean> {
  return (await collectionOf(conn).deleteOne({ _id: queue })).deletedCount > 0;
}

/** Every paused queue, by name. */
export function listPausedQueues(conn: Connection): Promise<PausedQueueDoc[]> {
  return collectionOf(conn).find({}).sort({ _id: 1 }).toArray();
}

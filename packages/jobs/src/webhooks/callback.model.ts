import { COLLECTIONS } from '../collections.js';
import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A completion callback asked for at submit: once the job is final, its resource is POSTed
 * to `url` by a `webhook.deliver` job of its own. Kept beside the job, not in it, so the job
 * core stays unaware of callbacks.
 */
export interface CallbackDoc {
  /** The job's id. */
  _id: Types.ObjectId;
  owner: string;
  ownerEmail: string | null;
  url: string;
  /** Pending until the delivery job exists; the record is then deleted. */
  state: 'pending';
  createdAt: Date;
}

const callbackSchema = new Schema<CallbackDoc>(
  {
    owner: { type: String, required: true },
    ownerEmail: { type: String, default: null },
    url: { type: String, required: true },
    state: { type: String, enum: ['pending'], required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: COLLECTIONS.jobCallbacks },
);

// The sweep: pending callbacks, oldest first (their jobs are checked for a final state).
callbackSchema.index({ state: 1, createdAt: 1 });

export type CallbackModel = Model<CallbackDoc>;

export function callbackModel(conn: Connection): CallbackModel {
  return (
    (conn.models['JobCallback'] as CallbackModel | undefined) ??
    conn.model<CallbackDoc>('JobCallback', callbackSchema)
  );
}

import { Schema, type Connection, type Model } from 'mongoose';
import { COLLECTIONS } from '@conveyor/jobs/store';

/** Job counts a digest reported, kept so a skipped duplicate can return the same result. */
export interface DeliveryCounts {
  pending: number;
  running: number;
  failed: number;
  succeeded: number;
}

/**
 * One message the SMTP server accepted, in the `mail_deliveries` collection (owned by the
 * mailer). It is written right after the server's 250 and before the handler returns, so a
 * redelivered or retried job finds it and does not send again. Keys are plain words: no
 * `.` or `$`, nothing from user payloads.
 */
export interface Delivery {
  /** = jobId: one record per job, looked up by the _id index. */
  _id?: string;
  /** The job that sent it; at most one delivery per job. */
  jobId: string;
  jobType: string;
  /** Template name, or null for `email.send`. */
  template: string | null;
  /** `<job-ID@domain>` as sent. */
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** The server's final reply. */
  response: string;
  /** Set for `email.digest`. */
  counts: DeliveryCounts | null;
  sentAt: Date;
}

export const DELIVERY_COLLECTION = COLLECTIONS.mailDeliveries;
const MODEL_NAME = 'MailDelivery';

const countsSchema = new Schema<DeliveryCounts>(
  {
    pending: { type: Number, required: true, min: 0 },
    running: { type: Number, required: true, min: 0 },
    failed: { type: Number, required: true, min: 0 },
    succeeded: { type: Number, required: true, min: 0 },
  },
  { _id: false },
);

const deliverySchema = new Schema<Delivery>(
  {
    // n.b. _id = jobId: one record per job, found by the _id index.
    _id: { type: String, required: true },
    jobId: { type: String, required: true },
    jobType: { type: String, required: true },
    template: { type: String, default: null },
    messageId: { type: String, required: true },
    accepted: { type: [String], default: [] },
    rejected: { type: [String], default: [] },
    response: { type: String, default: '' },
    counts: { type: countsSchema, default: null },
    sentAt: { type: Date, required: true },
  },
  { collection: DELIVERY_COLLECTION, versionKey: false, strict: 'throw' },
);

// _id (= jobId) serves the lookup before every send and makes a concurrent second insert for
// the same job fail with a duplicate-key error; this index keeps jobId unique on its own too.
deliverySchema.index({ jobId: 1 }, { unique: true, name: 'jobId_unique' });
// Serves the retention purge deleteMany({ sentAt: { $lt: cutoff } }) (a scheduled purge, not a TTL index: the local server has none).
deliverySchema.index({ sentAt: 1 }, { name: 'sentAt' });

/** The delivery model on `conn` (compiled once per connection). */
export function deliveryModel(conn: Connection): Model<Delivery> {
  const existing = conn.models[MODEL_NAME] as Model<Delivery> | undefined;
  return existing ?? conn.model<Delivery>(MODEL_NAME, deliverySchema);
}

import { COLLECTIONS } from '../collections.js';
import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One owner's webhook signing secrets. The secret must be readable to sign with, so it is
 * stored as is; the API reveals it only in the answer that creates or rotates it.
 */
export interface WebhookSecretDoc {
  /** The owner (`sub`). */
  _id: string;
  secret: string;
  createdAt: Date;
  /** The secret before the last rotation, still signed with until `previousExpiresAt`. */
  previous: string | null;
  previousExpiresAt: Date | null;
  updatedAt: Date;
}

const webhookSecretSchema = new Schema<WebhookSecretDoc>(
  {
    _id: { type: String, required: true },
    secret: { type: String, required: true },
    createdAt: { type: Date, required: true },
    previous: { type: String, default: null },
    previousExpiresAt: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
  },
  // n.b. looked up by _id (the owner) only: no other index
  { versionKey: false, collection: COLLECTIONS.webhookSecrets },
);

export type WebhookSecretModel = Model<WebhookSecretDoc>;

export function webhookSecretModel(conn: Connection): WebhookSecretModel {
  return (
    (conn.models['WebhookSecret'] as WebhookSecretModel | undefined) ??
    conn.model<WebhookSecretDoc>('WebhookSecret', webhookSecretSchema)
  );
}

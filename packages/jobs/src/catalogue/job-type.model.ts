import { Schema, type Connection, type Model } from 'mongoose';
import type { CatalogueEntry } from '@conveyor/contracts';
import { COLLECTIONS } from '../collections.js';

/** A catalogue entry as stored: the contract's entry plus who registered it and when. */
export interface JobTypeDoc extends CatalogueEntry {
  /** The type's name. */
  _id: string;
  /** When the entry's current schema was registered. */
  registeredAt: Date;
  /** The worker group and instance that registered it; `seed` for an API's built-in seed. */
  registeredBy: { worker: string; workerId: string; version: string };
  /** Last heartbeat of any worker running the type; null: none seen yet. */
  lastSeenAt: Date | null;
  /** Schema hash -> last heartbeat of a worker running that version. */
  seen: Record<string, Date>;
}

const jobTypeSchema = new Schema<JobTypeDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    queue: { type: String, required: true },
    payloadSchema: { type: Schema.Types.Mixed, required: true },
    resultSchema: { type: Schema.Types.Mixed, required: true },
    schemaHash: { type: String, required: true },
    defaults: { type: Schema.Types.Mixed, required: true },
    registeredAt: { type: Date, required: true },
    registeredBy: { type: Schema.Types.Mixed, required: true },
    lastSeenAt: { type: Date, default: null },
    seen: { type: Schema.Types.Mixed, default: {} },
  },
  // n.b. no index beyond _id: the catalogue is small and read whole
  { collection: COLLECTIONS.jobTypes, versionKey: false, minimize: false },
);

/** The catalogue's mongoose model on a connection. */
export function jobTypeModel(conn: Connection): Model<JobTypeDoc> {
  return (
    (conn.models.JobType as Model<JobTypeDoc> | undefined) ??
    conn.model<JobTypeDoc>('JobType', jobTypeSchema)
  );
}

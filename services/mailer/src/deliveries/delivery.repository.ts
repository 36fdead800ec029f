import type { Connection, Model } from 'mongoose';
import { deliveryModel, type Delivery } from './delivery.model.js';

/** Result of {@link DeliveryRepository.record}. */
export type RecordOutcome = 'inserted' | 'duplicate';

/** Reads and writes `mail_deliveries`: what the mailer has sent, one record per job. */
export class DeliveryRepository {
  private readonly model: Model<Delivery>;

  constructor(conn: Connection) {
    this.model = deliveryModel(conn);
  }

  /** Creates the collection's indexes; call once at start, before consuming. */
  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  /** The delivery of a job, or null if it has not been sent. */
  async findByJobId(jobId: string): Promise<Delivery | null> {
    const doc = await this.model.findOne({ _id: jobId }, { _id: 0 }).lean<Delivery>().exec();
    return doc ?? null;
  }

  /**
   * Inserts a delivery. A duplicate-key error means a concurrent attempt of the same job
   * already recorded its send; that is reported as `'duplicate'`, not thrown.
   */
  async record(delivery: Delivery): Promise<RecordOutcome> {
    try {
      await this.model.create({ _id: delivery.jobId, ...delivery });
      return 'inserted';
    } catch (err) {
      if (isDuplicateKey(err)) return 'duplicate';
      throw err;
    }
  }

  /** Deletes deliveries sent before `cutoff` (retention); returns how many. */
  async deleteSentBefore(cutoff: Date): Promise<number> {
    const res = await this.model.deleteMany({ sentAt: { $lt: cutoff } }).exec();
    return res.deletedCount;
  }
}

function isDuplicateKey(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err as { code: unknown }).code === 11000
  );
}

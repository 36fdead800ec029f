import mongoose, { type Model } from 'mongoose';
import { jobModel, scheduleModel } from '@conveyor/jobs';

/** An index Conveyor declares on one of its collections. */
export interface RequiredIndex {
  readonly collection: string;
  readonly key: Readonly<Record<string, 1 | -1>>;
  readonly unique: boolean;
}

/**
 * The indexes Conveyor's job store declares, read from its mongoose models (`schema.indexes()`
 * of the jobs and schedules models in `@conveyor/jobs`), so this list cannot drift from them.
 */
export function requiredIndexes(): RequiredIndex[] {
  // n.b. an unconnected connection: models are only built to read their schemas
  const conn = mongoose.createConnection();
  const models: Array<Model<never>> = [
    jobModel(conn) as unknown as Model<never>,
    scheduleModel(conn) as unknown as Model<never>,
  ];
  return models.flatMap((model) =>
    model.schema.indexes().map(([fields, options]) => ({
      collection: model.collection.collectionName,
      key: Object.fromEntries(
        Object.entries(fields).map(([field, dir]) => [field, dir === -1 ? -1 : 1]),
      ) as Record<string, 1 | -1>,
      unique: options.unique === true,
    })),
  );
}

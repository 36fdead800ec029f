import mongoose, { type IndexDirection, type mongo } from 'mongoose';
import { jobModel, scheduleModel } from '@conveyor/jobs/store';

/** An index Conveyor declares on one of its collections. */
export interface RequiredIndex {
  readonly collection: string;
  /** Field -> 1 / -1, or an index type such as `text`, as the model declares it. */
  readonly key: Readonly<Record<string, mongo.IndexDirection>>;
  readonly unique: boolean;
  /** Other creation options the model declares (sparse, partial filter, TTL), passed on as they are. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** mongoose also takes `asc` / `desc` words; the server stores and lists 1 / -1. */
function direction(dir: IndexDirection): mongo.IndexDirection {
  if (dir === 'asc' || dir === 'ascending') return 1;
  if (dir === 'desc' || dir === 'descending') return -1;
  return dir;
}

const PASSED_OPTIONS = ['sparse', 'partialFilterExpression', 'expireAfterSeconds'] as const;

/**
 * The indexes Conveyor's job store declares, read from its mongoose models (`schema.indexes()`
 * of the jobs and schedules models in `@conveyor/jobs/store`), so this list cannot drift from them.
 */
export function requiredIndexes(): RequiredIndex[] {
  // n.b. an unconnected connection: models are only built to read their schemas
  const conn = mongoose.createConnection();
  const declared = [jobModel(conn), scheduleModel(conn)].map((model) => ({
    collection: model.collection.collectionName,
    indexes: model.schema.indexes(),
  }));
  return declared.flatMap(({ collection, indexes }) =>
    indexes.map(([fields, options]) => ({
      collection,
      key: Object.fromEntries(
        Object.entries(fields).map(([field, dir]) => [field, direction(dir)]),
      ),
      unique: options.unique === true,
      options: Object.fromEntries(
        PASSED_OPTIONS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]),
      ),
    })),
  );
}

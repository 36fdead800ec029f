import type { mongo } from 'mongoose';

/** True for MongoDB's duplicate-key error (a unique index refused the write). */
export const isDuplicateKey = (err: unknown): boolean => (err as { code?: number })?.code === 11000;

/**
 * Unordered insertMany that treats duplicate keys as an answer, not an error: returns the
 * indexes of the documents a unique index refused. Any other write error is rethrown.
 */
export async function insertManySkippingDuplicates<T extends mongo.Document>(
  collection: mongo.Collection<T>,
  docs: mongo.OptionalUnlessRequiredId<T>[],
): Promise<Set<number>> {
  const refused = new Set<number>();
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: { index: number; code: number }[] }).writeErrors;
    if (!writeErrors) throw err;
    for (const w of writeErrors) {
      if (w.code !== 11000) throw err;
      refused.add(w.index);
    }
  }
  return refused;
}

import type { CheckContext, StoreCheck } from './check.js';
import { requiredIndexes } from './required-indexes.js';
import { keySignature } from './verdict.js';

/**
 * The indexes Conveyor declares can be created, and the server lists them back with the same
 * keys and uniqueness (a server that accepts an index and silently drops it would fail here).
 */
export const requiredIndexesCreated: StoreCheck = {
  name: 'required indexes',
  async run(ctx: CheckContext) {
    const required = requiredIndexes();
    const problems: string[] = [];
    const perCollection = new Map<string, number>();
    for (const index of required) {
      const coll = ctx.db.collection(index.collection);
      try {
        await coll.createIndex({ ...index.key }, { ...index.options, unique: index.unique });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        problems.push(`create ${index.collection} {${keySignature(index.key)}}: ${message}`);
      }
    }
    const listed = new Map<string, Array<{ key: string; unique: boolean }>>();
    for (const name of new Set(required.map((i) => i.collection))) {
      const specs = await ctx.db.collection(name).listIndexes().toArray();
      listed.set(
        name,
        specs.map((s) => ({
          key: keySignature(s['key'] as Record<string, unknown>),
          unique: s['unique'] === true,
        })),
      );
    }
    for (const index of required) {
      const want = keySignature(index.key);
      const found = listed.get(index.collection)?.find((s) => s.key === want);
      if (!found) problems.push(`${index.collection} {${want}} not listed`);
      else if (found.unique !== index.unique)
        problems.push(`${index.collection} {${want}} listed with unique=${found.unique}`);
      else perCollection.set(index.collection, (perCollection.get(index.collection) ?? 0) + 1);
    }
    const counts = [...new Set(required.map((i) => i.collection))]
      .map((c) => {
        const total = required.filter((i) => i.collection === c).length;
        const unique = required.filter((i) => i.collection === c && i.unique).length;
        return `${c} ${perCollection.get(c) ?? 0}/${total} (${unique} unique)`;
      })
      .join(', ');
    return {
      ok: problems.length === 0,
      detail: `created and listed: ${counts}${problems.length ? `; ${problems.join('; ')}` : ''}`,
    };
  },
};

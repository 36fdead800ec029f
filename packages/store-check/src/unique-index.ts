import { isDuplicateKeyError, racerDbs, type CheckContext, type StoreCheck } from './check.js';
import { uniqueVerdict, type InsertRound } from './verdict.js';

/**
 * Unique index under races: every round, all racers insert a document with the same key at
 * once (as scheduler replicas do for one cron fire, or retried submits with one idempotency
 * key). Exactly one insert may land; all others must fail with a duplicate-key error (E11000).
 */
export const uniqueIndexRace: StoreCheck = {
  name: 'unique index race',
  async run(ctx: CheckContext) {
    const { rounds, racers } = ctx.options;
    const coll = ctx.db.collection<{ key: string; racer: number }>('race_unique');
    await coll.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
    const dbs = await racerDbs(ctx);
    await Promise.all(dbs.map((db) => db.command({ ping: 1 })));
    const results: InsertRound[] = [];
    const otherMessages = new Set<string>();
    for (let round = 0; round < rounds; round++) {
      const outcomes = await Promise.all(
        dbs.map(async (db, racer) => {
          try {
            await db.collection('race_unique').insertOne({ key: `fire-${round}`, racer });
            return 'inserted' as const;
          } catch (error) {
            if (isDuplicateKeyError(error)) return 'duplicate' as const;
            otherMessages.add(error instanceof Error ? error.message : String(error));
            return 'other' as const;
          }
        }),
      );
      results.push({
        inserted: outcomes.filter((o) => o === 'inserted').length,
        duplicateKeyErrors: outcomes.filter((o) => o === 'duplicate').length,
        otherErrors: outcomes.filter((o) => o === 'other').length,
      });
    }
    const stored = await coll.countDocuments({});
    const verdict = uniqueVerdict(results, racers);
    const others =
      otherMessages.size > 0 ? `; other errors: ${[...otherMessages].join(' | ')}` : '';
    return {
      ok: verdict.ok && stored === rounds,
      detail:
        `${rounds} rounds x ${racers} racers: ${verdict.inserted} inserted (expected ${rounds}), ` +
        `${verdict.duplicateKeyErrors} E11000 (expected ${rounds * (racers - 1)}), ` +
        `${verdict.otherErrors} other errors, ${stored} documents stored${others}`,
    };
  },
};

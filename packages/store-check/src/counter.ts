import { racerDbs, type CheckContext, type StoreCheck } from './check.js';

/**
 * `$inc` under contention: `racers` clients each increment one counter `increments` times,
 * every client with several increments in flight. No increment may be lost or doubled.
 */
export const incUnderContention: StoreCheck = {
  name: '$inc under contention',
  async run(ctx: CheckContext) {
    const { racers, increments } = ctx.options;
    const dbs = await racerDbs(ctx);
    await Promise.all(dbs.map((db) => db.command({ ping: 1 })));
    const coll = ctx.db.collection<{ _id: string; n: number }>('race_counter');
    await coll.insertOne({ _id: 'counter', n: 0 });
    let acknowledged = 0;
    await Promise.all(
      dbs.map(async (db) => {
        const racerColl = db.collection<{ _id: string; n: number }>('race_counter');
        // n.b. 5 in flight per client: contention within a connection pool as well as across clients
        let next = 0;
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            while (next < increments) {
              next += 1;
              const res = await racerColl.updateOne({ _id: 'counter' }, { $inc: { n: 1 } });
              acknowledged += res.modifiedCount;
            }
          }),
        );
      }),
    );
    const expected = racers * increments;
    const final = (await coll.findOne({ _id: 'counter' }))?.n ?? null;
    return {
      ok: final === expected && acknowledged === expected,
      detail: `${racers} racers x ${increments} increments: counter ${final ?? 'missing'} (expected ${expected}), ${acknowledged} acknowledged`,
    };
  },
};

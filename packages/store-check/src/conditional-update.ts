import type { mongo } from 'mongoose';
import { racerDbs, type CheckContext, type StoreCheck } from './check.js';
import { raceVerdict } from './verdict.js';

/** A document every racer of a round tries to claim, like a queued job claimed by its dispatch. */
interface RaceDoc {
  _id: number;
  status: 'queued' | 'running';
  attempts: number;
  winner: number | null;
}

/** How one racer tries to move the round's document from `queued` to `running`; true = it did. */
type Claim = (coll: mongo.Collection<RaceDoc>, round: number, racer: number) => Promise<boolean>;

const FILTER = (round: number) => ({ _id: round, status: 'queued' as const, attempts: 0 });
const UPDATE = (racer: number) => ({
  $set: { status: 'running' as const, winner: racer },
  $inc: { attempts: 1 },
});

/**
 * Races `racers` clients over `rounds` documents: each claims with the expected state in the
 * filter, as every job transition does. MongoDB applies such a write atomically, so exactly one
 * racer per round may see it succeed and the document's attempt counter ends at 1.
 */
function conditionalRace(name: string, collection: string, claim: Claim): StoreCheck {
  return {
    name,
    async run(ctx: CheckContext) {
      const { rounds, racers } = ctx.options;
      const dbs = await racerDbs(ctx);
      // n.b. each racer's connection is open before the first round, so they start together
      await Promise.all(dbs.map((db) => db.command({ ping: 1 })));
      const setup = ctx.db.collection<RaceDoc>(collection);
      await setup.insertMany(
        Array.from({ length: rounds }, (_, round) => ({
          _id: round,
          status: 'queued' as const,
          attempts: 0,
          winner: null,
        })),
      );
      const winnersPerRound: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const won = await Promise.all(
          dbs.map((db, racer) => claim(db.collection<RaceDoc>(collection), round, racer)),
        );
        winnersPerRound.push(won.filter(Boolean).length);
      }
      const docs = await setup.find({}).toArray();
      const attempts = docs.reduce((sum, d) => sum + d.attempts, 0);
      const stillQueued = docs.filter((d) => d.status !== 'running').length;
      const verdict = raceVerdict(winnersPerRound);
      return {
        ok: verdict.ok && attempts === rounds && stillQueued === 0,
        detail:
          `${rounds} rounds x ${racers} racers: ${verdict.winners} winners (expected ${rounds}), ` +
          `${verdict.badRounds} rounds without exactly one winner (max ${verdict.maxInRound} in a round), ` +
          `attempts recorded ${attempts} (expected ${rounds}), ${stillQueued} left unclaimed`,
      };
    },
  };
}

/** `findOneAndUpdate({_id, status, attempts})`: the claim a worker makes for a dispatch. */
export const conditionalFindOneAndUpdate = conditionalRace(
  'conditional findOneAndUpdate',
  'race_find_one_and_update',
  async (coll, round, racer) =>
    (await coll.findOneAndUpdate(FILTER(round), UPDATE(racer), { returnDocument: 'after' })) !==
    null,
);

/** `updateOne({_id, status, attempts})` judged by `modifiedCount`: the transitions that need no document back. */
export const conditionalUpdateOne = conditionalRace(
  'conditional updateOne',
  'race_update_one',
  async (coll, round, racer) =>
    (await coll.updateOne(FILTER(round), UPDATE(racer))).modifiedCount === 1,
);

import type { mongo } from 'mongoose';
import type { CheckContext, StoreCheck } from './check.js';

/** Documents each collection starts with: enough that a planner prefers an index to a scan. */
const SEED_DOCS = 600;
/** Rounds of writes; after each, every probe runs on both collections. */
const ROUNDS = 12;

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const OWNERS = ['alice', 'bob', 'carol'] as const;
const TAGS = ['a', 'b', 'c', 'd', 'e', 'f'] as const;

interface Doc {
  _id: number;
  status?: string | null;
  owner: string;
  tags?: string[];
  due?: Date;
  attempts?: number | string;
  meta?: { k: string };
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

const BASE = Date.UTC(2026, 0, 1);

function makeDoc(next: () => number, id: number): Doc {
  const doc: Doc = { _id: id, owner: pick(next, OWNERS) };
  const roll = next();
  if (roll < 0.85) doc.status = pick(next, STATUSES);
  else if (roll < 0.92) doc.status = null;
  if (next() < 0.7) doc.tags = TAGS.filter(() => next() < 0.3);
  if (next() < 0.5) doc.due = new Date(BASE + Math.floor(next() * 1_000) * 1_000);
  const kind = next();
  // n.b. ints, doubles and a few strings: a number range must skip the strings
  if (kind < 0.6) doc.attempts = Math.floor(next() * 4);
  else if (kind < 0.75) doc.attempts = Math.floor(next() * 4) + 0.5;
  else if (kind < 0.8) doc.attempts = String(Math.floor(next() * 4));
  if (next() < 0.5) doc.meta = { k: pick(next, TAGS) };
  return doc;
}

/** Filters of every shape an index may narrow, and some it must leave alone. */
function probes(next: () => number): mongo.Filter<Doc>[] {
  const status = pick(next, STATUSES);
  const tag = pick(next, TAGS);
  const at = new Date(BASE + Math.floor(next() * 1_000) * 1_000);
  return [
    { status },
    { status: { $in: [status, pick(next, STATUSES)] } },
    { status: null },
    { status: { $exists: true } },
    { status: { $ne: status } },
    { status, owner: pick(next, OWNERS) },
    { $and: [{ owner: pick(next, OWNERS) }, { status: { $in: [status] } }] },
    { tags: tag },
    { tags: { $in: [tag, pick(next, TAGS)] } },
    { tags: { $all: [tag] } },
    { tags: { $size: 0 } },
    { tags: { $exists: true }, owner: pick(next, OWNERS) },
    { due: { $lt: at } },
    { due: { $gte: at }, status },
    { due: { $exists: false } },
    { due: { $gte: at, $lt: new Date(at.getTime() + 200_000) } },
    { due: { $gt: new Date(at.getTime() + 200_000), $lte: at } },
    { attempts: { $gte: 1, $lte: 2.5 } },
    { attempts: { $lt: 1 } },
    { tags: { $all: [tag, pick(next, TAGS)] } },
    { attempts: Math.floor(next() * 4) },
    { attempts: { $gt: 1 } },
    { 'meta.k': tag },
    { 'meta.k': null },
    { owner: pick(next, OWNERS), $or: [{ status }, { tags: tag }] },
  ];
}

async function compare(
  indexed: mongo.Collection<Doc>,
  plain: mongo.Collection<Doc>,
  filter: mongo.Filter<Doc>,
): Promise<string | null> {
  const [a, b] = await Promise.all([
    indexed.find(filter).sort({ _id: 1 }).toArray(),
    plain.find(filter).sort({ _id: 1 }).toArray(),
  ]);
  if (JSON.stringify(a) !== JSON.stringify(b))
    return `find ${JSON.stringify(filter)}: ${a.length} documents with indexes, ${b.length} without`;
  const [ca, cb] = await Promise.all([
    indexed.countDocuments(filter),
    plain.countDocuments(filter),
  ]);
  if (ca !== cb)
    return `countDocuments ${JSON.stringify(filter)}: ${ca} with indexes, ${cb} without`;
  return null;
}

/** One round of writes, applied the same way to both collections. */
async function write(
  next: () => number,
  collections: readonly mongo.Collection<Doc>[],
  nextId: () => number,
): Promise<void> {
  const status = pick(next, STATUSES);
  const tag = pick(next, TAGS);
  const docs = Array.from({ length: 20 }, () => makeDoc(next, nextId()));
  const replacement = makeDoc(next, 0);
  const replaceId = Math.floor(next() * SEED_DOCS);
  const cut = new Date(BASE + Math.floor(next() * 1_000) * 1_000);
  for (const coll of collections) {
    await coll.insertMany(docs.map((d) => ({ ...d })));
    await coll.updateMany({ status }, { $set: { status: pick(random(replaceId), STATUSES) } });
    await coll.updateMany({ tags: tag, owner: 'bob' }, { $pull: { tags: tag } });
    await coll.updateMany({ 'meta.k': tag }, { $set: { 'meta.k': 'z' }, $push: { tags: tag } });
    await coll.updateMany({ due: { $lt: cut }, attempts: { $not: { $type: 'string' } } }, {
      $inc: { attempts: 1 },
    } as unknown as mongo.UpdateFilter<Doc>);
    await coll.updateMany({ due: { $lt: cut } }, { $unset: { due: '' } });
    await coll.findOneAndUpdate(
      { status: 'queued', owner: 'carol' },
      { $set: { status: 'running' } },
    );
    const { _id: _ignored, ...rest } = replacement;
    await coll.replaceOne({ _id: replaceId }, rest);
    await coll.deleteMany({ owner: 'alice', status: 'cancelled', tags: tag });
  }
}

/**
 * Secondary indexes only ever make reads cheaper: the same writes and the same filters give the
 * same documents and counts on a collection with indexes as on one without. A server whose
 * index misses a document after an insert, update, `$pull`, `$unset`, replace or delete would
 * return fewer documents here, and a job sweep would silently skip a job.
 */
export const indexesKeepResults: StoreCheck = {
  name: 'indexes keep results',
  async run(ctx: CheckContext) {
    const indexed = ctx.db.collection<Doc>('index_results_indexed');
    const plain = ctx.db.collection<Doc>('index_results_plain');
    await indexed.createIndex({ status: 1, _id: -1 });
    await indexed.createIndex({ owner: 1, status: 1 });
    await indexed.createIndex({ tags: 1 });
    await indexed.createIndex({ due: 1 });
    await indexed.createIndex({ attempts: 1 });
    await indexed.createIndex({ 'meta.k': 1 });
    const next = random(20_261_207);
    let id = 0;
    const nextId = (): number => ++id;
    const seed = Array.from({ length: SEED_DOCS }, () => makeDoc(next, nextId()));
    await indexed.insertMany(seed.map((d) => ({ ...d })));
    await plain.insertMany(seed.map((d) => ({ ...d })));
    let probesRun = 0;
    for (let round = 0; round <= ROUNDS; round++) {
      if (round > 0) await write(next, [indexed, plain], nextId);
      for (const filter of probes(next)) {
        const problem = await compare(indexed, plain, filter);
        probesRun++;
        if (problem) return { ok: false, detail: `round ${round}: ${problem}` };
      }
    }
    const total = await plain.countDocuments();
    return {
      ok: true,
      detail: `${probesRun} filters over ${ROUNDS} rounds of writes agree (${total} documents)`,
    };
  },
};

// Payload search and queue position at scale: fills a database of its own with `--jobs`
// job documents (inserted in bulk, straight into the store: no API, no broker) across several
// owners and types, then times the API's own queries — `searchFilter` + newest-first page of
// `GET /v1/jobs/search` (field + value, text, with and without a type and time range, an
// admin across owners) and `positionOf` of `GET /v1/jobs/{id}/position` — repeated `--reps`
// times each, and prints p50 / p99 and what the store's `explain` says about each (where it
// has one). Figures, not assertions.
//
//   pnpm -s build && node services/api/bench/search.mjs [--jobs 1000000] [--reps 15] \
//     [--db conveyor_bench_search] [--keep]
//
// MONGO_URL names the store (read from .infra/env when unset). The database is dropped at the
// end unless --keep (then a second run with the same --jobs reuses it). 1,000,000 such jobs
// need more than 8 GB of the local store's Java heap: restart it with a larger one first
// (`bash scripts/infra.sh stop-mongo && CONVEYOR_MONGO_HEAP=12g bash scripts/infra.sh start-mongo`).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const infraEnv = new URL('../../../.infra/env', import.meta.url);
if (existsSync(infraEnv) && !process.env.MONGO_URL) {
  for (const line of readFileSync(infraEnv, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) process.env[m[1]] = m[2];
  }
}

const api = new URL('../dist/', import.meta.url);
const require = createRequire(new URL('../package.json', api));
const mongoose = require('mongoose');
const { searchKeysOf, catalogueEntryOf, emailSend, emailTemplate, demoCount, webhookDeliver } =
  await import(new URL('../../../packages/contracts/dist/index.js', api));
const { jobModel } = await import(new URL('../../../packages/jobs/dist/entry/store.js', api));
const { searchFilter, ensureSearchIndexes } = await import(new URL('jobs/search.js', api));
const { positionOf } = await import(new URL('jobs/position.js', api));

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '15' },
    db: { type: 'string', default: 'conveyor_bench_search' },
    keep: { type: 'boolean', default: false },
  },
});
const TOTAL = Number(args.jobs);
const REPS = Number(args.reps);
const url = new URL(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
url.pathname = `/${args.db}`;

// A deterministic generator (mulberry32), so runs are comparable.
let seed = 20261207;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

// 20 owners, skewed: owner-0 has 40 % of all jobs, so its searches cannot lean on a small owner.
const OWNERS = Array.from({ length: 20 }, (_, i) => `owner-${i}`);
const ownerOf = () => (rand() < 0.4 ? OWNERS[0] : pick(OWNERS));
const WORDS =
  'invoice order refund shipped delayed welcome reset digest report export import weekly'.split(
    ' ',
  );
const TEMPLATES = ['welcome', 'password-reset', 'notification', 'digest'];
const invoice = { name: 'acme.invoice', search: ['customer.id', 'customer.name'] };
const searchOf = {
  'email.send': catalogueEntryOf(emailSend, 'mailer').search,
  'email.template': catalogueEntryOf(emailTemplate, 'mailer').search,
  'demo.count': catalogueEntryOf(demoCount, 'processor').search,
  'webhook.deliver': catalogueEntryOf(webhookDeliver, 'processor').search,
  'acme.invoice': invoice.search,
};

/** A payload of each type; `i` makes recipients and customers mostly distinct. */
function payloadOf(type, i) {
  const user = `user${i % 200_000}@example.com`;
  switch (type) {
    case 'email.send':
      return {
        to: [user],
        subject: `${pick(WORDS)} ${pick(WORDS)} #${i % 10_000}`,
        text: 'Hello, this is the body of a message that is not indexed for search.',
      };
    case 'email.template':
      return { to: user, template: pick(TEMPLATES), data: { name: `User ${i % 50_000}` } };
    case 'demo.count':
      return { to: i % 100, delayMs: 10 };
    case 'webhook.deliver':
      return {
        url: `https://hooks.example.com/${i % 1000}`,
        body: { event: pick(WORDS), id: i },
        timeoutMs: 10_000,
        maxResponseBytes: 65_536,
        maxRedirects: 0,
      };
    default:
      return {
        customer: { id: `C-${i % 100_000}`, name: `Customer ${pick(WORDS)} ${i % 1000}` },
        note: 'Rush order, deliver by Friday',
      };
  }
}
const TYPES = Object.keys(searchOf);

/** A job document as JobRepository.create leaves it, then moved on by the transitions. */
function jobDoc(i, created) {
  const type = pick(TYPES);
  const owner = ownerOf();
  const payload = payloadOf(type, i);
  const _id = mongoose.Types.ObjectId.createFromTime(Math.floor(created.getTime() / 1000));
  const r = rand();
  const status = r < 0.9 ? 'succeeded' : r < 0.95 ? 'failed' : r < 0.99 ? 'queued' : 'scheduled';
  const done = status === 'succeeded' || status === 'failed';
  const finishedAt = done ? new Date(created.getTime() + 1500) : null;
  const searchKeys = searchKeysOf(payload, searchOf[type]);
  return {
    _id,
    type,
    status,
    priority: rand() < 0.05 ? 'high' : 'normal',
    owner,
    ownerEmail: `${owner}@example.com`,
    payload: JSON.stringify(payload),
    result: done && status === 'succeeded' ? '{"ok":true}' : null,
    error:
      status === 'failed'
        ? { code: 'SMTP_REJECTED', message: '550 mailbox unavailable', retryable: false }
        : null,
    attempts: done ? 1 : 0,
    maxAttempts: 3,
    attemptBudget: 3,
    timeoutMs: 60_000,
    runAt: created,
    createdAt: created,
    updatedAt: finishedAt ?? created,
    queuedAt: created,
    publishedAt: created,
    startedAt: done ? new Date(created.getTime() + 500) : null,
    finishedAt,
    progress: null,
    leaseToken: null,
    leaseUntil: null,
    workerId: null,
    cancelRequested: false,
    dedupeKey: `id:${_id.toHexString()}`,
    idempotencyKey: null,
    scheduleId: null,
    correlationId: _id.toHexString(),
    traceparent: null,
    batch: null,
    history: [{ t: 'create', status: 'queued', at: created }],
    ...(searchKeys.length > 0 ? { searchKeys } : {}),
  };
}

const conn = await mongoose.createConnection(url.toString()).asPromise();
const jobs = conn.collection('jobs');
const have = await jobs.estimatedDocumentCount();
if (have !== TOTAL) {
  await jobs.deleteMany({});
  console.log(`filling ${url.pathname.slice(1)} with ${TOTAL.toLocaleString('en')} jobs…`);
  const t0 = performance.now();
  // n.b. indexes first, as a running system has them: inserts pay their cost
  await jobModel(conn).createIndexes();
  await ensureSearchIndexes(conn);
  // jobs created over the last 30 days, oldest first (ids rise with time, as in production)
  const start = Date.now() - 30 * 86_400_000;
  const BATCH = 5000;
  for (let i = 0; i < TOTAL; i += BATCH) {
    const docs = [];
    for (let j = i; j < Math.min(TOTAL, i + BATCH); j++)
      docs.push(jobDoc(j, new Date(start + (j / TOTAL) * 30 * 86_400_000)));
    await jobs.insertMany(docs, { ordered: false });
    if ((i / BATCH) % 40 === 0) process.stdout.write(`  ${i.toLocaleString('en')}\r`);
  }
  console.log(`filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} else console.log(`reusing ${TOTAL.toLocaleString('en')} jobs in ${url.pathname.slice(1)}`);

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
async function time(label, fn) {
  await fn(); // warm
  const ms = [];
  let out;
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    out = await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(62)} p50 ${pct(ms, 50).toFixed(1).padStart(8)} ms  p99 ${pct(ms, 99)
      .toFixed(1)
      .padStart(8)} ms  → ${out}`,
  );
}

/** What the store's planner says: the winning plan's stages and the keys it examined. */
async function explain(filter) {
  try {
    const e = await jobs.find(filter).sort({ _id: -1 }).limit(50).explain('executionStats');
    const stages = [];
    for (let s = e.queryPlanner?.winningPlan; s; s = s.inputStage ?? s.inputStages?.[0])
      stages.push(s.indexName ? `${s.stage}(${s.indexName})` : s.stage);
    const x = e.executionStats ?? {};
    return `${stages.join(' ← ')}; keys examined ${x.totalKeysExamined}, docs examined ${x.totalDocsExamined}`;
  } catch (err) {
    return `no explain on this store (${err.message.split('\n')[0]})`;
  }
}

/** One `GET /v1/jobs/search` page: the route's filter, newest first, 50. */
async function searchPage(query, scope) {
  const filter = searchFilter({ limit: 50, ...query }, scope);
  const docs = await jobs.find(filter).sort({ _id: -1 }).limit(50).toArray();
  return `${docs.length} jobs`;
}

// What to look for: values of owner-0's newest jobs of each type, so every search finds some.
const owner = OWNERS[0];
const newest = async (type) =>
  JSON.parse((await jobs.find({ owner, type }).sort({ _id: -1 }).limit(1).next()).payload);
const mail = await newest('email.send');
const invoiceOf = await newest('acme.invoice');
const address = mail.to[0];
const words = mail.subject.split(' ').slice(0, 2).join(' ');
const week = new Date(Date.now() - 7 * 86_400_000);
const searches = [
  ["baseline, no payload search: the owner's newest page", {}, owner],
  [`field: to = ${address}`, { field: 'to', value: address }, owner],
  [
    'field: the same + type email.send + last 7 days',
    { field: 'to', value: address, type: 'email.send', from: week },
    owner,
  ],
  [
    `field: customer.id = ${invoiceOf.customer.id}`,
    { field: 'customer.id', value: invoiceOf.customer.id },
    owner,
  ],
  [
    'field: template = welcome (first page of many)',
    { field: 'template', value: 'welcome' },
    owner,
  ],
  [`text: "${words}"`, { text: words }, owner],
  [
    `text: "${invoiceOf.customer.name}" + type`,
    { text: invoiceOf.customer.name, type: 'acme.invoice' },
    owner,
  ],
  [`admin, every owner: to = ${address}`, { field: 'to', value: address }, undefined],
];
console.log(`\n${REPS} runs each, after one warm-up run:`);
for (const [label, query, scope] of searches) await time(label, () => searchPage(query, scope));

// Queue position: the newest queued demo.count job (the back of its type's backlog).
const deps = { runtime: { mongo: conn } };
const backlog = await jobs.countDocuments({ status: 'queued', type: 'demo.count' });
const last = await jobs
  .find({ status: 'queued', type: 'demo.count' })
  .sort({ _id: -1 })
  .limit(1)
  .next();
const first = await jobs
  .find({ status: 'queued', type: 'demo.count' })
  .sort({ _id: 1 })
  .limit(1)
  .next();
for (const [label, job] of [
  [`position: back of a ${backlog.toLocaleString('en')}-job backlog`, last],
  ['position: front of that backlog', first],
])
  await time(label, async () => `position ${(await positionOf(deps, job)).position}`);

console.log('\nexplain (find + sort {_id: -1} + limit 50):');
for (const [label, query, scope] of searches.slice(0, 6))
  console.log(`  ${label}: ${await explain(searchFilter({ limit: 50, ...query }, scope))}`);

if (!args.keep) await conn.dropDatabase();
await conn.close();

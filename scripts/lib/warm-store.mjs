#!/usr/bin/env node
// Warms the local MongoDB-wire server (a JVM) after it starts: runs synthetic no-op jobs through
// the store with Conveyor's own repository code in a scratch database, then drops it, so the
// first jobs after a start do not pay for the server's just-in-time compilation (see
// packages/jobs/src/store-warmup.ts). scripts/infra.sh runs it when the packages are built.
//
//   node scripts/lib/warm-store.mjs <mongodb-url> [jobs]
import { connectMongo, createLogger } from '../../packages/platform/dist/index.js';
import { warmUpStore } from '../../packages/jobs/dist/store-warmup.js';

const [url, jobsArg] = process.argv.slice(2);
if (!url) {
  console.error('usage: warm-store.mjs <mongodb-url> [jobs]');
  process.exit(2);
}
// n.b. no count given: warmUpStore's default
const jobs = jobsArg === undefined ? undefined : Number(jobsArg);
if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 0)) {
  console.error(`warm-store.mjs: jobs must be a whole number, got ${jobsArg}`);
  process.exit(2);
}
const base = new URL(url);
base.pathname = '/conveyor_store_warm_up';
const conn = await connectMongo(base.toString(), createLogger('store-warm-up', 'warn'));
try {
  await conn.dropDatabase();
  const r = await warmUpStore(conn, { jobs });
  console.log(`${r.jobs} jobs in ${(r.ms / 1000).toFixed(1)} s`);
} finally {
  await conn.dropDatabase().catch(() => undefined);
  await conn.close();
}

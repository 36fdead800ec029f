#!/usr/bin/env node
// Conveyor soak: N `demo.count {to:0}` jobs offered through the API at RATE jobs/s (batches of
// 100 on `/v1/jobs/batch`), then waits until every one is final. Every 10 s it prints what was
// offered and what finished in those 10 s (finished counted from the store), and at the end
// the RSS of every process at the start and the end, the CPU per job, and `lost` (jobs the
// store does not show final once nothing moved for STALL_S seconds; 0 is the only good answer).
//
//   node scripts/bench/soak.mjs 100000 1000
//
// Talks to services started the README way (`RATE_LIMIT_PER_MINUTE=0 pnpm dev`): the API on
// API_URL (http://127.0.0.1:3000), metrics ports from CONVEYOR_DEV_METRICS_PORT (9100), and
// reads the store at MONGO_URL (from .infra/env when unset). Starts nothing.
import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { conveyorClient } from './conveyor-demo.mjs';
import { cpuMeter, pidFromFile, pidOfMetricsPort, printCpu, rssBytes, storePid } from './cpu.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const [nArg, rateArg] = process.argv.slice(2);
const N = Number(nArg ?? 100_000);
const RATE = Number(rateArg ?? 1000);
const BATCH = 100;
const STALL_S = Number(process.env.STALL_S ?? 60);
const API = process.env.API_URL ?? 'http://127.0.0.1:3000';
const METRICS_BASE = Number(process.env.CONVEYOR_DEV_METRICS_PORT ?? 9100);
const SERVICES = ['api', 'mailer', 'processor', 'scheduler', 'files'];

function mongoUrl() {
  if (process.env.MONGO_URL) return process.env.MONGO_URL;
  const env = join(ROOT, '.infra', 'env');
  const line = existsSync(env)
    ? readFileSync(env, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('MONGO_URL='))
    : undefined;
  if (!line) throw new Error('MONGO_URL is not set and .infra/env has none');
  return line.slice('MONGO_URL='.length);
}

// n.b. mongoose is a dependency of the workspace packages, not of the repository root
const mongoose = createRequire(join(ROOT, 'packages', 'jobs', 'package.json'))('mongoose');
const conn = await mongoose.createConnection(mongoUrl()).asPromise();
const jobs = conn.db.collection('jobs');

const run = join(ROOT, '.infra', 'run');
const pids = {};
for (const [i, name] of SERVICES.entries()) {
  const pid = pidOfMetricsPort(METRICS_BASE + i);
  if (pid) pids[name] = pid;
}
pids.rabbitmq = pidFromFile(join(run, 'rabbitmq.pid'));
pids.store = storePid(run);
const rss = () =>
  Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid ? rssBytes(pid) : null]));
const mib = (b) => (b === null ? '-' : `${(b / 1048576).toFixed(0)} MiB`);

const client = await conveyorClient(API);
const rssStart = rss();
const stopCpu = cpuMeter(pids);
const FINAL = ['succeeded', 'failed', 'cancelled'];
const ids = [];
/** The owner of this run's jobs (the client's fresh one), read from the first job stored. */
let runOwner = null;
/** Jobs of this run that the store shows final. */
async function finished() {
  // n.b. by the run's own owner: the store holds other runs' jobs too
  return jobs.countDocuments({ owner: runOwner, status: { $in: FINAL } });
}

console.log(
  `soak: ${N} demo.count {to:0} jobs offered at ${RATE}/s in batches of ${BATCH}, store at ${mongoUrl()}`,
);
const t0 = performance.now();
let offered = 0;
let submitErrors = 0;
const inFlight = new Set();
const submitting = (async () => {
  while (offered < N) {
    const due = Math.min(N, Math.floor(((performance.now() - t0) / 1000) * RATE) + BATCH);
    while (offered < due && inFlight.size < 16) {
      const size = Math.min(BATCH, N - offered);
      offered += size;
      const body = {
        jobs: Array.from({ length: size }, () => ({ type: 'demo.count', payload: { to: 0 } })),
      };
      const p = client
        .api('POST', '/v1/jobs/batch', body)
        .then((res) => {
          for (const j of res.jobs) ids.push(j.id);
        })
        .catch((err) => {
          submitErrors++;
          console.error(`  submit failed: ${err.message}`);
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(inFlight);
  return performance.now();
})();

while (ids.length === 0) await new Promise((r) => setTimeout(r, 50));
runOwner = (await jobs.findOne({ _id: new mongoose.Types.ObjectId(ids[0]) }))?.owner;

let lastDone = 0;
let lastOffered = 0;
let lastRead = 0;

let lastMove = performance.now();
let submittedAt = null;
void submitting.then((t) => (submittedAt = t));
// n.b. the store is read every 10 s while jobs are offered and every second after (to see the
// end promptly): each count is a scan on the local store, CPU the run would count as the store's
let printedAt = performance.now();
for (;;) {
  await new Promise((r) => setTimeout(r, submittedAt === null ? 10_000 : 1000));
  const done = await finished();
  if (done !== lastRead) lastMove = performance.now();
  lastRead = done;
  const over =
    submittedAt !== null && (done >= ids.length || performance.now() - lastMove > STALL_S * 1000);
  if (performance.now() - printedAt >= 10_000 || over) {
    const span = (performance.now() - printedAt) / 1000;
    const s = (performance.now() - t0) / 1000;
    console.log(
      `  ${String(Math.round(s)).padStart(4)} s: offered ${String(offered - lastOffered).padStart(6)} (${((offered - lastOffered) / span).toFixed(0)}/s), finished ${String(done - lastDone).padStart(6)} (${((done - lastDone) / span).toFixed(0)}/s), total finished ${done}/${ids.length}`,
    );
    printedAt = performance.now();
    lastOffered = offered;
    lastDone = done;
  }
  if (over) break;
}
const t1 = performance.now();
const used = stopCpu();
const rssEnd = rss();
const byStatus = Object.fromEntries(
  (
    await jobs
      .aggregate([{ $match: { owner: runOwner } }, { $group: { _id: '$status', n: { $sum: 1 } } }])
      .toArray()
  ).map((r) => [r._id, r.n]),
);
const final = FINAL.reduce((a, s) => a + (byStatus[s] ?? 0), 0);
const offeredS = (submittedAt - t0) / 1000;
console.log(
  `offered ${N} in ${offeredS.toFixed(1)} s (${(N / offeredS).toFixed(0)}/s offered; ${submitErrors} submit errors), all final after ${((t1 - t0) / 1000).toFixed(1)} s (${(final / ((t1 - t0) / 1000)).toFixed(0)} jobs/s end to end)`,
);
console.log(`  store: ${JSON.stringify(byStatus)}`);
console.log(
  `  lost: ${ids.length - final + submitErrors * BATCH} (accepted ${ids.length}, final ${final})`,
);
console.log('  RSS start -> end:');
for (const name of Object.keys(pids))
  console.log(
    `    ${name.padEnd(10)} ${mib(rssStart[name]).padStart(8)} -> ${mib(rssEnd[name]).padStart(8)}`,
  );
printCpu(used, N);
await conn.close();
process.exit(0);

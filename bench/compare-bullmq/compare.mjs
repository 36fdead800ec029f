#!/usr/bin/env node
// The same no-op workload through Conveyor and through BullMQ, one after the other in one run,
// printing both throughputs, latencies and the ratio.
//
//   pnpm bench:bullmq [N] [--concurrency C] [--redis-port P] [--repeat R]
//
// Conveyor: N `demo.count {to:0}` jobs through the API of services started the README way
// (`pnpm infra:up`, then `RATE_LIMIT_PER_MINUTE=0 pnpm dev`; API_URL, default
// http://127.0.0.1:3000), the same run as `node scripts/bench/jobs.mjs demo N`.
// BullMQ: N jobs added with Queue.addBulk in the same batches, run by a Worker in a process of
// its own with the same concurrency as the Conveyor workers that run demo.count (read from
// /v1/workers unless --concurrency says), doing the same no-op (report 100%, return a result),
// on a Redis this script starts (Debian `redis-server`, AOF with `appendfsync everysec`, a
// temporary directory, stopped afterwards) — or on REDIS_URL when set (REDIS_PID, a pid or a pid
// file, names its process so its CPU is counted).
// Both: submit -> a worker runs it -> completed is recorded durably; the figures are from
// first submit to last completion, latency from each job's creation to its finish time.
// --repeat R alternates R runs of each side (one fresh owner / queue per run) and adds medians.
import { fork, execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { conveyorClient, pct, runDemo } from '../../scripts/bench/conveyor-demo.mjs';
import {
  cpuMeter,
  pidFromFile,
  pidOfMetricsPort,
  printCpu,
  storePid,
} from '../../scripts/bench/cpu.mjs';
import { redisCommand, startRedis } from './redis.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BATCH = 100;
const IN_FLIGHT = 4;

function parseArgs(argv) {
  const args = {
    n: 2000,
    concurrency: undefined,
    redisPort: Number(process.env.REDIS_PORT ?? 0),
    repeat: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--concurrency') args.concurrency = Number(argv[++i]);
    else if (a === '--redis-port') args.redisPort = Number(argv[++i]);
    else if (a === '--repeat') args.repeat = Number(argv[++i]);
    else if (/^\d+$/.test(a)) args.n = Number(a);
    else {
      console.error(
        `unknown argument ${a}\nusage: pnpm bench:bullmq [N] [--concurrency C] [--redis-port P] [--repeat R]`,
      );
      process.exit(2);
    }
  }
  for (const [k, v] of Object.entries(args))
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      console.error(`${k} must be a non-negative integer`);
      process.exit(2);
    }
  if (args.n < 1 || args.repeat < 1) {
    console.error('N and --repeat must be at least 1');
    process.exit(2);
  }
  return args;
}

/** Concurrency of the live Conveyor workers that run demo.count, waiting up to 15 s for a heartbeat. */
async function conveyorConcurrency(client) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { items } = await client.api('GET', '/v1/workers');
    const demo = items.filter((w) => w.jobTypes.includes('demo.count'));
    if (demo.length > 0)
      return { concurrency: demo.reduce((s, w) => s + w.concurrency, 0), workers: demo.length };
    if (Date.now() > deadline)
      throw new Error('no Conveyor worker runs demo.count (is the processor running?)');
    await new Promise((r) => setTimeout(r, 500));
  }
}

function figures(n, submitMs, totalMs, latencies) {
  return {
    throughput: n / (totalMs / 1000),
    submitRate: n / (submitMs / 1000),
    totalS: totalMs / 1000,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
  };
}

/** Conveyor's processes: the services by their metrics ports, the local servers by pid file. */
function conveyorProcesses() {
  const base = Number(process.env.CONVEYOR_DEV_METRICS_PORT ?? 9100);
  const run = join(here, '..', '..', '.infra', 'run');
  return {
    api: pidOfMetricsPort(base),
    mailer: pidOfMetricsPort(base + 1),
    processor: pidOfMetricsPort(base + 2),
    scheduler: pidOfMetricsPort(base + 3),
    rabbitmq: pidFromFile(join(run, 'rabbitmq.pid')),
    store: storePid(run),
  };
}

async function runBullmq(n, concurrency, redis) {
  // n.b. BullMQ 6 under ESM takes constructed clients, one per queue object
  const connect = () =>
    new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: null });
  const clients = [connect(), connect()];
  const name = `conveyor-compare-${Date.now()}`;
  const worker = fork(join(here, 'worker.mjs'), [
    redis.host,
    String(redis.port),
    name,
    String(concurrency),
  ]);
  const queue = new Queue(name, { connection: clients[0] });
  const events = new QueueEvents(name, { connection: clients[1] });
  try {
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('exit', (code) => reject(new Error(`the BullMQ worker exited (${code})`)));
    });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    // n.b. the server side of BullMQ: Redis and the worker (adding jobs is the client's, as
    // the HTTP submits are on Conveyor's side)
    const stopCpu = cpuMeter({ redis: redis.pid ?? null, 'bullmq worker': worker.pid });
    let completed = 0;
    let allDone;
    const finishedAll = new Promise((r) => (allDone = r));
    events.on('completed', () => {
      completed += 1;
      if (completed === n) allDone(performance.now());
    });
    events.on('failed', ({ jobId, failedReason }) =>
      console.error(`BullMQ job ${jobId} failed: ${failedReason}`),
    );
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < n) {
          const size = Math.min(BATCH, n - next);
          next += size;
          await queue.addBulk(
            Array.from({ length: size }, () => ({
              name: 'demo.count',
              data: { to: 0 },
              opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
            })),
          );
        }
      }),
    );
    const submitted = performance.now();
    const finished = await finishedAll;
    const cpu = stopCpu();
    const jobs = await queue.getJobs(['completed'], 0, -1);
    if (jobs.length !== n)
      throw new Error(`BullMQ: ${jobs.length} completed jobs stored, expected ${n}`);
    const latencies = jobs.map((j) => j.finishedOn - j.timestamp).sort((a, b) => a - b);
    return { ...figures(n, submitted - t0, finished - t0, latencies), cpu };
  } finally {
    await queue.obliterate({ force: true }).catch(() => {});
    await Promise.allSettled([events.close(), queue.close()]);
    for (const c of clients) c.disconnect();
    if (worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
  }
}

function commit() {
  try {
    return execFileSync('git', ['-C', here, 'log', '-1', '--format=%h %cs %s'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

const args = parseArgs(process.argv.slice(2));
const client = await conveyorClient();
let found;
try {
  found = await conveyorConcurrency(client);
} catch (error) {
  console.error(
    `Conveyor is not ready at ${client.apiUrl}: ${error.cause?.message ?? error.message}\n` +
      'start it with `pnpm infra:up` and `RATE_LIMIT_PER_MINUTE=0 pnpm dev` (or set API_URL)',
  );
  process.exit(2);
}
const concurrency = args.concurrency || found.concurrency;
const load = () => loadavg()[0].toFixed(1);
console.log(`Conveyor ${commit()}`);
console.log(`machine: ${availableParallelism()} cores, load average ${load()} at start`);
console.log(
  `workload: ${args.n} no-op jobs, batches of ${BATCH} with ${IN_FLIGHT} in flight, ` +
    `${concurrency} concurrent handlers (Conveyor: ${found.workers} worker(s), concurrency ${found.concurrency})`,
);

const redis = process.env.REDIS_URL
  ? (() => {
      const u = new URL(process.env.REDIS_URL);
      // n.b. REDIS_PID (a pid or a pid file) lets the CPU of a Redis started elsewhere be counted
      const pidArg = process.env.REDIS_PID;
      const pid = pidArg ? (/^\d+$/.test(pidArg) ? Number(pidArg) : pidFromFile(pidArg)) : null;
      return { host: u.hostname, port: Number(u.port || 6379), pid, stop: async () => {} };
    })()
  : await startRedis(args.redisPort);
const row = (name, f) =>
  `${name.padEnd(9)} ${f.throughput.toFixed(0).padStart(8)} jobs/s  (${f.totalS.toFixed(1)} s)` +
  `   submit ${f.submitRate.toFixed(0).padStart(6)} jobs/s   latency p50 ${String(f.p50).padStart(6)} ms  p99 ${String(f.p99).padStart(6)} ms`;
const ratios = (c, b) =>
  `throughput ${(c.throughput / b.throughput).toFixed(2)}x, ` +
  `p50 latency ${(c.p50 / Math.max(1, b.p50)).toFixed(2)}x, p99 latency ${(c.p99 / Math.max(1, b.p99)).toFixed(2)}x`;
const runs = [];
try {
  const fsync = (await redisCommand(redis, 'CONFIG', 'GET', 'appendfsync')).split('\r\n')[4];
  const aof = (await redisCommand(redis, 'CONFIG', 'GET', 'appendonly')).split('\r\n')[4];
  const version = /redis_version:([^\r\n]+)/.exec(await redisCommand(redis, 'INFO', 'server'))?.[1];
  console.log(
    `BullMQ on Redis ${version ?? '?'} at ${redis.host}:${redis.port}, appendonly ${aof}, appendfsync ${fsync}`,
  );
  // n.b. alternating runs see the same background load, which a busy machine varies a lot
  for (let i = 1; i <= args.repeat; i++) {
    const run = args.repeat > 1 ? ` (run ${i} of ${args.repeat})` : '';
    console.log(`running Conveyor${run}: demo.count {to:0} through the API…`);
    const stopCpu = cpuMeter(conveyorProcesses());
    // n.b. the meter stops when the last job succeeded, as BullMQ's does below: reading the
    // jobs back for their latencies is the benchmark's work on both sides
    const c = await runDemo(await conveyorClient(client.apiUrl), args.n, {
      batch: BATCH,
      inFlight: IN_FLIGHT,
      onFinished: stopCpu,
    });
    const conveyor = { ...figures(args.n, c.submitMs, c.totalMs, c.latencies), cpu: c.atFinish };
    console.log(`running BullMQ${run}…`);
    const bullmq = await runBullmq(args.n, concurrency, redis);
    console.log(`\nsubmit -> completed, ${args.n} jobs (load average ${load()}):`);
    console.log(row('Conveyor', conveyor));
    console.log(row('BullMQ', bullmq));
    console.log(`ratio Conveyor/BullMQ: ${ratios(conveyor, bullmq)}`);
    printCpu(conveyor.cpu, args.n, 'Conveyor CPU');
    printCpu(bullmq.cpu, args.n, 'BullMQ CPU');
    console.log('');
    runs.push({ conveyor, bullmq });
  }
} finally {
  await redis.stop();
}
if (runs.length > 1) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = (side) => ({
    throughput: median(runs.map((r) => r[side].throughput)),
    submitRate: median(runs.map((r) => r[side].submitRate)),
    totalS: median(runs.map((r) => r[side].totalS)),
    p50: median(runs.map((r) => r[side].p50)),
    p99: median(runs.map((r) => r[side].p99)),
  });
  const c = m('conveyor');
  const b = m('bullmq');
  console.log(`median of ${runs.length} runs:`);
  console.log(row('Conveyor', c));
  console.log(row('BullMQ', b));
  console.log(`ratio Conveyor/BullMQ: ${ratios(c, b)}`);
  const perJob = (side) =>
    median(
      runs.map((r) => (Object.values(r[side].cpu).reduce((x, y) => x + y, 0) / args.n) * 1000),
    ).toFixed(2);
  console.log(
    `CPU per job, summed over the processes above: Conveyor ${perJob('conveyor')} ms, BullMQ ${perJob('bullmq')} ms`,
  );
}
process.exit(0);

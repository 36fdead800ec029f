#!/usr/bin/env node
// Conveyor end-to-end benchmark. Talks to services started the README way (`pnpm dev`):
// the API on API_URL (http://127.0.0.1:3000) and each service's metrics port (9100–9103, or
// from CONVEYOR_DEV_METRICS_PORT as `pnpm dev` takes it).
//
//   node scripts/bench/jobs.mjs demo 2000      # N demo.count {to:0} jobs
//   node scripts/bench/jobs.mjs csv 1000000    # one data.process job over an N-row CSV upload
//   node scripts/bench/jobs.mjs rate 200 10    # demo jobs offered at 200/s for 10 s, one per request
//
// Prints throughput, latency percentiles and the peak RSS of every service (sampled from
// /proc while the run lasts). Starts nothing; it only sends HTTP requests to 127.0.0.1.
import { join } from 'node:path';
import { conveyorClient, pct, runDemo, timings, watchSucceeded } from './conveyor-demo.mjs';
import { cpuMeter, pidFromFile, pidOfMetricsPort, printCpu, rssBytes, storePid } from './cpu.mjs';

const API = process.env.API_URL ?? 'http://127.0.0.1:3000';
const METRICS_BASE = Number(process.env.CONVEYOR_DEV_METRICS_PORT ?? 9100);
const SERVICES = {
  api: METRICS_BASE,
  mailer: METRICS_BASE + 1,
  processor: METRICS_BASE + 2,
  scheduler: METRICS_BASE + 3,
};
const [mode = 'demo', nArg, secondsArg] = process.argv.slice(2);
const RATE = Number(nArg ?? 200);
const SECONDS = Number(secondsArg ?? 10);
const N =
  mode === 'rate'
    ? Math.round(RATE * SECONDS)
    : Number(nArg ?? (mode === 'csv' ? 1_000_000 : 2000));

const client = await conveyorClient(API);
const { api } = client;

const peakRss = Object.fromEntries(Object.keys(SERVICES).map((s) => [s, 0]));
// n.b. RSS from /proc, not the services' /metrics: rendering /metrics four times a second
// cost the services CPU that the run then counted as theirs
const rssPids = Object.fromEntries(
  Object.entries(SERVICES).map(([name, port]) => [name, pidOfMetricsPort(port)]),
);
async function sampleRss() {
  for (const [name, pid] of Object.entries(rssPids)) {
    const rss = pid ? rssBytes(pid) : null; // n.b. a service not running is reported as 0
    if (rss) peakRss[name] = Math.max(peakRss[name], rss);
  }
}
const sampler = setInterval(() => void sampleRss(), 250);
const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;
async function waitJob(id, everyMs = 500) {
  for (;;) {
    const job = await api('GET', `/v1/jobs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Pids of the services (by their metrics ports) and of the local servers (.infra/run). */
async function processes() {
  const run = join(import.meta.dirname, '..', '..', '.infra', 'run');
  const found = {};
  for (const [name, port] of Object.entries(SERVICES)) found[name] = await pidOfMetricsPort(port);
  found.rabbitmq = pidFromFile(join(run, 'rabbitmq.pid'));
  found.store = storePid(run);
  return found;
}

async function demo() {
  const stopCpu = cpuMeter(await processes());
  const r = await runDemo(client, N, { onFinished: stopCpu });
  const used = r.atFinish;
  const { submitMs, totalMs, latencies, start } = r;
  console.log(
    `demo.count {to:0} x ${N} through the API (batches of ${r.batch}, ${r.inFlight} in flight)`,
  );
  console.log(
    `  submit: ${(N / (submitMs / 1000)).toFixed(0)} jobs/s (${(submitMs / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  submit -> succeeded: ${(N / (totalMs / 1000)).toFixed(0)} jobs/s (${(totalMs / 1000).toFixed(1)} s for all)`,
  );
  console.log(
    `  end-to-end latency (createdAt -> finishedAt): p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms`,
  );
  console.log(`  submit -> start: p50 ${pct(start, 50)} ms, p99 ${pct(start, 99)} ms`);
  printCpu(used, N);
}

/** Offers demo jobs at a fixed rate, one request each, and reports the latency they saw. */
async function rate() {
  const ids = [];
  const watching = watchSucceeded(client, ids, N);
  await new Promise((r) => setTimeout(r, 200)); // the stream is subscribed
  const t0 = performance.now();
  const inFlight = new Set();
  let sent = 0;
  while (sent < N) {
    const due = Math.min(N, Math.floor(((performance.now() - t0) / 1000) * RATE) + 1);
    for (; sent < due; sent++) {
      const p = api('POST', '/v1/jobs', { type: 'demo.count', payload: { to: 0 } }).then((j) => {
        ids.push(j.id);
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inFlight);
  const offeredS = (performance.now() - t0) / 1000;
  await watching;
  const t = await timings(client);
  console.log(
    `demo.count {to:0} offered at ${RATE}/s for ${SECONDS} s, one job per request: ${N} jobs in ${offeredS.toFixed(1)} s (${(N / offeredS).toFixed(0)}/s offered)`,
  );
  console.log(
    `  submit -> start: p50 ${pct(t.start, 50)} ms, p99 ${pct(t.start, 99)} ms, max ${t.start.at(-1)} ms`,
  );
  console.log(`  submit -> succeeded: p50 ${pct(t.finish, 50)} ms, p99 ${pct(t.finish, 99)} ms`);
}

async function csv() {
  const header = 'id,name,city,amount,when\n';
  const cities = ['Berlin', 'Paris', 'Lisboa', 'Zürich', 'Kraków', 'Oslo'];
  const rows = [header];
  for (let i = 0; i < N; i++)
    rows.push(
      `${i},"Name ${i}, Jr",${cities[i % 6]},${(i % 1000) / 10},2026-11-${String((i % 28) + 1).padStart(2, '0')}\n`,
    );
  const blob = new Blob(rows, { type: 'text/csv' });
  const form = new FormData();
  form.append('file', blob, 'bench.csv');
  const t0 = performance.now();
  const upload = await api('POST', '/v1/uploads', form);
  const uploaded = performance.now();
  const job = await api('POST', '/v1/jobs', {
    type: 'data.process',
    payload: {
      source: { uploadId: upload.uploadId },
      steps: [
        { op: 'clean', trim: true, normalizeKeys: true },
        { op: 'filter', where: [{ field: 'amount', gte: 10 }] },
        {
          op: 'aggregate',
          groupBy: ['city'],
          metrics: [
            { fn: 'count', as: 'n' },
            { fn: 'sum', field: 'amount', as: 'total' },
          ],
        },
      ],
      output: { format: 'csv' },
    },
  });
  const done = await waitJob(job.id);
  const finished = performance.now();
  const runMs = Date.parse(done.finishedAt) - Date.parse(done.startedAt);
  console.log(
    `data.process over a ${N}-row CSV (${mib(blob.size)}): ${done.status}`,
    done.result ?? done.error,
  );
  console.log(
    `  upload: ${((uploaded - t0) / 1000).toFixed(1)} s; job run: ${(runMs / 1000).toFixed(1)} s = ${(N / (runMs / 1000)).toFixed(0)} rows/s; total ${((finished - t0) / 1000).toFixed(1)} s`,
  );
}

await sampleRss();
try {
  if (mode === 'csv') await csv();
  else if (mode === 'rate') await rate();
  else await demo();
} finally {
  await sampleRss();
  clearInterval(sampler);
  console.log(
    `  peak RSS: ${Object.entries(peakRss)
      .map(([s, b]) => `${s} ${mib(b)}`)
      .join(', ')}`,
  );
}
// n.b. the event stream's socket would keep the process alive
process.exit(0);

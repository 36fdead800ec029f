#!/usr/bin/env node
// Conveyor end-to-end benchmark. Talks to services started the README way (`pnpm dev`):
// the API on API_URL (http://127.0.0.1:3000) and each service's metrics port (9100–9103).
//
//   node scripts/bench/jobs.mjs demo 2000      # N demo.count {to:0} jobs
//   node scripts/bench/jobs.mjs csv 1000000    # one data.process job over an N-row CSV upload
//   node scripts/bench/jobs.mjs rate 200 10    # demo jobs offered at 200/s for 10 s, one per request
//
// Prints throughput, latency percentiles and the peak RSS of every service (sampled from
// their /metrics while the run lasts). Starts nothing; it only sends HTTP requests to 127.0.0.1.
import { signToken } from '../../services/api/dist/auth/sign.js';
import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEV_JWT_SECRET,
} from '../../services/api/dist/config.js';

const API = process.env.API_URL ?? 'http://127.0.0.1:3000';
const SERVICES = { api: 9100, mailer: 9101, processor: 9102, scheduler: 9103 };
const [mode = 'demo', nArg, secondsArg] = process.argv.slice(2);
const RATE = Number(nArg ?? 200);
const SECONDS = Number(secondsArg ?? 10);
const N =
  mode === 'rate'
    ? Math.round(RATE * SECONDS)
    : Number(nArg ?? (mode === 'csv' ? 1_000_000 : 2000));

const token = await signToken(
  { sub: `bench-${Date.now()}`, email: 'bench@example.com' },
  {
    secret: process.env.JWT_SECRET ?? DEV_JWT_SECRET,
    issuer: process.env.JWT_ISSUER ?? DEFAULT_JWT_ISSUER,
    audience: process.env.JWT_AUDIENCE ?? DEFAULT_JWT_AUDIENCE,
  },
);
const auth = { authorization: `Bearer ${token}` };

const peakRss = Object.fromEntries(Object.keys(SERVICES).map((s) => [s, 0]));
async function sampleRss() {
  await Promise.all(
    Object.entries(SERVICES).map(async ([name, port]) => {
      try {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const m = /^conveyor_process_resident_memory_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(
          text,
        );
        if (m) peakRss[name] = Math.max(peakRss[name], Number(m[1]));
      } catch {
        // service not running: reported as 0
      }
    }),
  );
}
const sampler = setInterval(() => void sampleRss(), 250);
const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;
const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function api(method, path, body, headers = {}) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: {
      ...auth,
      ...(body && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
  });
  const json = res.headers.get('content-type')?.includes('json')
    ? await res.json()
    : await res.text();
  if (res.status >= 400)
    throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function waitJob(id, everyMs = 500) {
  for (;;) {
    const job = await api('GET', `/v1/jobs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Counts `succeeded` lifecycle events on the SSE stream of all of this owner's jobs (watching
 * the stream puts no load on the store, unlike polling the job list).
 */
async function watchSucceeded(ids, onAll) {
  const res = await fetch(`${API}/v1/events`, { headers: auth });
  if (res.status !== 200) throw new Error(`GET /v1/events -> ${res.status}`);
  const done = new Set();
  const decoder = new globalThis.TextDecoder();
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!/^event: lifecycle$/m.test(block) || !data) continue;
      const e = JSON.parse(data);
      if (e.status === 'succeeded') done.add(e.jobId);
      if (done.size === N && ids.length === N && [...ids].every((id) => done.has(id))) {
        onAll();
        return;
      }
    }
  }
}

async function demo() {
  const ids = [];
  let allDone;
  const finishedAll = new Promise((r) => (allDone = r));
  const watching = watchSucceeded(ids, () => allDone(performance.now()));
  await new Promise((r) => setTimeout(r, 200)); // the stream is subscribed
  const t0 = performance.now();
  const BATCH = 100;
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < N) {
        const size = Math.min(BATCH, N - next);
        next += size;
        const jobs = Array.from({ length: size }, () => ({
          type: 'demo.count',
          payload: { to: 0 },
        }));
        const res = await api('POST', '/v1/jobs/batch', { jobs });
        for (const j of res.jobs) ids.push(j.id);
      }
    }),
  );
  const submitted = performance.now();
  const finished = await finishedAll;
  void watching;
  // Once all are done, read their timestamps (one pass over the list).
  const { start, finish: latencies } = await timings();
  console.log(`demo.count {to:0} x ${N} through the API (batches of ${BATCH}, 4 in flight)`);
  console.log(
    `  submit: ${(N / ((submitted - t0) / 1000)).toFixed(0)} jobs/s (${((submitted - t0) / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  submit -> succeeded: ${(N / ((finished - t0) / 1000)).toFixed(0)} jobs/s (${((finished - t0) / 1000).toFixed(1)} s for all)`,
  );
  console.log(
    `  end-to-end latency (createdAt -> finishedAt): p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms`,
  );
  console.log(`  submit -> start: p50 ${pct(start, 50)} ms, p99 ${pct(start, 99)} ms`);
}

/** Reads every succeeded job of this run's owner: submit->start and submit->finish, sorted. */
async function timings() {
  const start = [];
  const finish = [];
  let cursor;
  do {
    const page = await api(
      'GET',
      `/v1/jobs?status=succeeded&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
    );
    for (const j of page.items) {
      start.push(Date.parse(j.startedAt) - Date.parse(j.createdAt));
      finish.push(Date.parse(j.finishedAt) - Date.parse(j.createdAt));
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { start: start.sort((a, b) => a - b), finish: finish.sort((a, b) => a - b) };
}

/** Offers demo jobs at a fixed rate, one request each, and reports the latency they saw. */
async function rate() {
  const ids = [];
  let allDone;
  const finishedAll = new Promise((r) => (allDone = r));
  const watching = watchSucceeded(ids, () => allDone(performance.now()));
  await new Promise((r) => setTimeout(r, 200));
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
  await finishedAll;
  void watching;
  const t = await timings();
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

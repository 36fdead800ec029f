#!/usr/bin/env node
// Fair dispatch benchmark. Talks to services started the README way (`pnpm dev`, or with
// RATE_LIMIT_PER_MINUTE=0 for big bursts), like jobs.mjs.
//
//   node scripts/bench/fairness.mjs 10000
//
// Owner A submits N demo.count {to:0} jobs alone, then again with owner B submitting one
// job once A's backlog is queued. Prints A's throughput both times and B's wait (its job's
// submit → start), with how many of A's jobs started between B's submit and B's start.
// Run it against services with FAIR_WINDOW=0 (API and scheduler) to see the same without
// fair dispatch.
import { conveyorClient, runDemo } from './conveyor-demo.mjs';

const N = Number(process.argv[2] ?? 10_000);
const API = process.env.API_URL ?? 'http://127.0.0.1:3000';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitJob(client, id) {
  for (;;) {
    const job = await client.api('GET', `/v1/jobs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await sleep(100);
  }
}

/** How many of the owner's jobs started in [from, to) (ms since the epoch). */
async function startsBetween(client, from, to) {
  let n = 0;
  let cursor;
  do {
    const page = await client.api(
      'GET',
      `/v1/jobs?status=succeeded&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
    );
    for (const j of page.items) {
      const t = Date.parse(j.startedAt);
      if (t >= from && t < to) n++;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return n;
}

const alone = await conveyorClient(API, `fair-a-alone-${Date.now()}`);
const r1 = await runDemo(alone, N);
const aloneRate = N / (r1.totalMs / 1000);
console.log(
  `A alone: ${N} jobs in ${(r1.totalMs / 1000).toFixed(1)} s = ${aloneRate.toFixed(0)} jobs/s`,
);

const a = await conveyorClient(API, `fair-a-${Date.now()}`);
const b = await conveyorClient(API, `fair-b-${Date.now()}`);
let b1 = null;
// n.b. B submits once A's whole burst is accepted: A's backlog is queued first
const r2 = await runDemo(a, N, {
  onSubmitted: async () => {
    const submitted = Date.now();
    const { id } = await b.api('POST', '/v1/jobs', { type: 'demo.count', payload: { to: 0 } });
    b1 = { submitted, job: await waitJob(b, id) };
  },
});
const withRate = N / (r2.totalMs / 1000);
const bStart = Date.parse(b1.job.startedAt);
const wait = bStart - Date.parse(b1.job.createdAt);
const ahead = await startsBetween(a, b1.submitted, bStart);
console.log(
  `A with B: ${N} jobs in ${(r2.totalMs / 1000).toFixed(1)} s = ${withRate.toFixed(0)} jobs/s (${((100 * withRate) / aloneRate).toFixed(0)}% of alone)`,
);
console.log(
  `B's one job: waited ${wait} ms from submit to start; ${ahead} of A's jobs started in between`,
);

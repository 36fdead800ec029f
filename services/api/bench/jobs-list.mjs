#!/usr/bin/env node
// Jobs list benchmark: how fast the API pages through a big jobs collection.
//
//   node services/api/bench/jobs-list.mjs [N=100000]
//
// Needs `pnpm build` and the servers of `pnpm infra:up` (read from .infra/env, or
// RABBITMQ_URL / MONGO_URL). Starts an API in this process on a database of its own, inserts N
// jobs straight into it (90% owned by `alice`, 10% by `bob`; every status; 1 in 50 failed with
// an error message), then times the list and search routes the dashboard uses: first pages,
// pages deep in a cursor walk, status filters, free-text search, the admin's all-owners view
// and the overview. Prints p50 / p95 / max per query and drops the database at the end.
import { existsSync, readFileSync } from 'node:fs';
import { Types } from 'mongoose';
import { startTestApi } from '../dist/testing/test-api.js';

const infraEnv = new URL('../../../.infra/env', import.meta.url);
if (existsSync(infraEnv) && !process.env.MONGO_URL) {
  for (const line of readFileSync(infraEnv, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) process.env[m[1]] = m[2];
  }
}

const N = Number(process.argv[2] ?? 100_000);
const REPEAT = 15;
const STATUSES = [
  'succeeded',
  'succeeded',
  'succeeded',
  'queued',
  'scheduled',
  'running',
  'cancelled',
];

const api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
try {
  const alice = await api.token({ sub: 'alice' });
  const admin = await api.token({ sub: 'ops', roles: ['admin'] });
  const col = api.deps.repo.model.collection;

  const t0 = performance.now();
  const start = Math.floor(Date.now() / 1000) - N; // one job per second of history
  const batch = 2000;
  for (let i = 0; i < N; i += batch) {
    const docs = [];
    for (let j = i; j < Math.min(N, i + batch); j++) {
      const _id = Types.ObjectId.createFromTime(start + j);
      const failed = j % 50 === 7;
      const status = failed ? 'failed' : STATUSES[j % STATUSES.length];
      const at = new Date((start + j) * 1000);
      docs.push({
        _id,
        rev: 1,
        type: j % 3 === 0 ? 'data.process' : 'demo.count',
        status,
        priority: 'normal',
        owner: j % 10 === 3 ? 'bob' : 'alice',
        ownerEmail: null,
        payload: JSON.stringify({ to: j % 100 }),
        result: status === 'succeeded' ? JSON.stringify({ counted: j % 100 }) : null,
        error: failed
          ? { code: 'BOOM', message: `upstream refused batch ${j}`, retryable: false }
          : null,
        attempts: 1,
        maxAttempts: 3,
        attemptBudget: 3,
        timeoutMs: 60000,
        runAt: at,
        createdAt: at,
        updatedAt: at,
        queuedAt: at,
        publishedAt: at,
        startedAt: status === 'scheduled' || status === 'queued' ? null : at,
        finishedAt: ['succeeded', 'failed', 'cancelled'].includes(status) ? at : null,
        progress: null,
        leaseToken: null,
        leaseUntil: null,
        workerId: null,
        cancelRequested: false,
        dedupeKey: `id:${_id.toHexString()}`,
        idempotencyKey: j % 1000 === 0 ? `order-${j}` : null,
        scheduleId: null,
        correlationId: _id.toHexString(),
      });
    }
    await col.insertMany(docs, { ordered: false });
  }
  const insertS = (performance.now() - t0) / 1000;
  console.log(
    `inserted ${N.toLocaleString('en')} jobs in ${insertS.toFixed(1)} s (${Math.round(N / insertS).toLocaleString('en')}/s)`,
  );

  async function get(path, token) {
    const t = performance.now();
    const res = await api.call(path, token);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    const body = await res.json();
    return { ms: performance.now() - t, body };
  }
  const stats = (ms) => {
    const s = [...ms].sort((a, b) => a - b);
    const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return `p50 ${at(0.5).toFixed(1)} ms  p95 ${at(0.95).toFixed(1)} ms  max ${s.at(-1).toFixed(1)} ms`;
  };
  async function time(label, path, token = alice) {
    const ms = [];
    let items = 0;
    for (let i = 0; i < REPEAT; i++) {
      const r = await get(path, token);
      ms.push(r.ms);
      items = r.body.items?.length ?? 0;
    }
    console.log(`${label.padEnd(52)} ${String(items).padStart(3)} items  ${stats(ms)}`);
  }

  await get('/v1/jobs?limit=50', alice); // warm-up
  await time('GET /v1/jobs?limit=50 (first page)', '/v1/jobs?limit=50');
  await time('GET /v1/jobs/search?limit=25 (dashboard first page)', '/v1/jobs/search?limit=25');

  // A cursor walk 40 pages deep (2,000 jobs), timing every page.
  const walk = [];
  let cursor = null;
  for (let page = 0; page < 40; page++) {
    const r = await get(`/v1/jobs/search?limit=50${cursor ? `&cursor=${cursor}` : ''}`, alice);
    walk.push(r.ms);
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  console.log(`${'cursor walk, 40 pages of 50'.padEnd(52)}  50 items  ${stats(walk)}`);

  const mid = Types.ObjectId.createFromTime(start + Math.floor(N / 2)).toHexString();
  await time('page from the middle (cursor at N/2)', `/v1/jobs/search?limit=50&cursor=${mid}`);
  await time('status=failed', '/v1/jobs/search?status=failed&limit=50');
  await time('status=running', '/v1/jobs/search?status=running&limit=50');
  await time('type=data.process', '/v1/jobs/search?type=data.process&limit=50');
  await time(
    'q=<idempotency key>',
    `/v1/jobs/search?q=order-${Math.floor(N / 2000) * 1000}&limit=50`,
  );
  await time(
    'q=<error text> (regex on error.message)',
    '/v1/jobs/search?q=refused%20batch&limit=50',
  );
  await time('admin, all owners', '/v1/jobs/search?limit=50', admin);
  await time('admin, owner=bob', '/v1/jobs/search?owner=bob&limit=50', admin);
  await time('GET /v1/stats/overview', '/v1/stats/overview');
} finally {
  await api.close();
}

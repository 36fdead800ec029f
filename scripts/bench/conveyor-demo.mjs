// The Conveyor side of the end-to-end benchmarks: N `demo.count {to:0}` jobs submitted through
// the API in batches, their completion watched on the owner's event stream, and their
// submit→finish latencies read back from the job resources. Used by scripts/bench/jobs.mjs and
// bench/compare-bullmq. Talks only to an API started the README way (`pnpm dev`).
import { signToken } from '../../services/api/dist/auth/sign.js';
import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEV_JWT_SECRET,
} from '../../services/api/dist/config.js';

/** Value at percentile `p` of an ascending array. */
export const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * An API client for an owner (`sub`, a fresh `bench-<time>` by default), signed with the dev secret unless
 * JWT_SECRET / JWT_ISSUER / JWT_AUDIENCE say otherwise.
 */
export async function conveyorClient(
  apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000',
  sub = `bench-${Date.now()}`,
) {
  const token = await signToken(
    { sub, email: 'bench@example.com' },
    {
      secret: process.env.JWT_SECRET ?? DEV_JWT_SECRET,
      issuer: process.env.JWT_ISSUER ?? DEFAULT_JWT_ISSUER,
      audience: process.env.JWT_AUDIENCE ?? DEFAULT_JWT_AUDIENCE,
    },
  );
  const auth = { authorization: `Bearer ${token}` };
  async function api(method, path, body, headers = {}) {
    const res = await fetch(`${apiUrl}${path}`, {
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
  return { apiUrl, auth, api };
}

/**
 * Counts `succeeded` lifecycle events on the SSE stream of this owner's jobs, asking for final
 * states only (`?status=`) as a client waiting for completions would (watching the stream puts
 * no load on the store, unlike polling the job list). Resolves the time (`performance.now()`)
 * once `ids` holds `n` ids and all of them succeeded.
 */
export async function watchSucceeded(client, ids, n) {
  const path = '/v1/events?status=succeeded,failed,cancelled';
  const res = await fetch(`${client.apiUrl}${path}`, { headers: client.auth });
  if (res.status !== 200) throw new Error(`GET ${path} -> ${res.status}`);
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
      if (done.size >= n && ids.length === n && ids.every((id) => done.has(id))) {
        // n.b. the stream would keep the process alive
        void res.body.cancel().catch(() => {});
        return performance.now();
      }
    }
  }
  throw new Error('the event stream ended before every job succeeded');
}

/**
 * Runs N `demo.count {to:0}` jobs: `inFlight` submitters post batches of `batch` jobs to
 * `/v1/jobs/batch`; resolves figures once every job succeeded. `onSubmitted` (optional) runs
 * once every job is accepted, and is awaited before the figures are read. `onFinished`
 * (optional) runs once every job succeeded, before the jobs are read back for their timings
 * (e.g. to stop a CPU meter: that read is the benchmark's, not the jobs'); what it returns is
 * `atFinish`.
 * @returns {Promise<{n: number, batch: number, inFlight: number, submitMs: number, totalMs: number, latencies: number[], start: number[]}>}
 *   latencies: createdAt→finishedAt per job in ms, start: createdAt→startedAt, both ascending.
 */
export async function runDemo(
  client,
  n,
  { batch = 100, inFlight = 4, onSubmitted, onFinished } = {},
) {
  const ids = [];
  const watching = watchSucceeded(client, ids, n);
  await new Promise((r) => setTimeout(r, 200)); // the stream is subscribed
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const size = Math.min(batch, n - next);
        next += size;
        const jobs = Array.from({ length: size }, () => ({
          type: 'demo.count',
          payload: { to: 0 },
        }));
        const res = await client.api('POST', '/v1/jobs/batch', { jobs });
        for (const j of res.jobs) ids.push(j.id);
      }
    }),
  );
  const submitted = performance.now();
  const side = onSubmitted?.();
  const finished = await watching;
  await side;
  // n.b. before the jobs are read back for their latencies: that read is the benchmark's work
  const atFinish = onFinished?.();
  const { start, finish } = await timings(client);
  return {
    n,
    batch,
    inFlight,
    submitMs: submitted - t0,
    totalMs: finished - t0,
    latencies: finish,
    start,
    atFinish,
  };
}

/** Reads every succeeded job of this client's owner: submit->start and submit->finish in ms, ascending. */
export async function timings(client) {
  const start = [];
  const finish = [];
  let cursor;
  do {
    const page = await client.api(
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

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  infra,
  mongoUrlForDb,
  startLocalMongo,
  startService,
  uniqueName,
  waitFor,
  type LocalMongo,
  type ServiceProcess,
} from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// The store hangs: its process is stopped (SIGSTOP) with every connection open, as a
// partitioned or stalled primary looks to a client. With STORE_TIMEOUT_MS every store call
// gives up in time, so the API answers 503 with Retry-After instead of waiting out the
// freeze, /readyz turns 503, and once the process runs again everything recovers by itself:
// every job accepted before, during or after the freeze succeeds.
//
// The store is a local MongoDB-wire server this test starts for itself (no other test may
// feel the freeze); the API runs in-process, a processor and a scheduler as processes.

const STORE_TIMEOUT_MS = 1500;
// n.b. far below the freeze (which lasts until every probe below has answered), far above
// the deadline: a request that waits for the store instead of its deadline fails here
const CLIENT_WAIT_MS = 4 * STORE_TIMEOUT_MS + 4000;

let mongo: LocalMongo;
let api: TestApi;
const procs: ServiceProcess[] = [];
let token: string;

beforeAll(async () => {
  const { rabbitmqUrl } = await infra();
  mongo = await startLocalMongo();
  const prefix = uniqueName('freeze');
  const env = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongo.url, prefix.replace(/-/g, '_')),
    CONVEYOR_PREFIX: prefix,
    STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
  };
  api = await startTestApi(env);
  procs.push(await startService('processor', { ...env, LEASE_MS: '5000' }));
  procs.push(await startService('scheduler', { ...env, REAPER_INTERVAL_MS: '1000' }));
  token = await api.token({ sub: 'alice' });
}, 120_000);

afterAll(async () => {
  mongo?.thaw();
  await Promise.all(procs.map((p) => p.stop('SIGTERM', 15_000)));
  await api?.close().catch(() => undefined);
  await mongo?.stop();
});

type Probe = { status: number; retryAfter: string | null; body: { id?: string } };

async function call(path: string, init: RequestInit = {}): Promise<Probe> {
  const res = await api.call(path, token, { ...init, signal: AbortSignal.timeout(CLIENT_WAIT_MS) });
  const text = await res.text();
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: text.startsWith('{') ? (JSON.parse(text) as { id?: string }) : {},
  };
}

const submit = (key: string, payload: Record<string, unknown> = { to: 1 }) =>
  call('/v1/jobs', {
    method: 'POST',
    body: JSON.stringify({ type: 'demo.count', payload, idempotencyKey: key }),
  });

it('answers 503 + Retry-After within the store deadline while the store is frozen, and loses nothing', async () => {
  const accepted: string[] = [];
  // Jobs that are still running when the store freezes: their workers' store calls time out too.
  for (let i = 0; i < 6; i++) {
    const r = await submit(`before-${i}`, { to: 5, delayMs: 300 });
    expect(r.status).toBe(202);
    accepted.push(r.body.id!);
  }
  await waitFor(async () => (await api.deps.repo.get(accepted[0]!))?.status === 'running', {
    timeoutMs: 20_000,
    what: 'a job running',
  });

  mongo.freeze();
  const during: Record<string, number> = {};
  const refusedKeys: string[] = [];
  try {
    for (let round = 0; round < 1; round++) {
      const key = `frozen-${round}`;
      const post = await submit(key);
      const get = await call(`/v1/jobs/${accepted[0]}`);
      const list = await call('/v1/jobs?limit=5');
      const ready = await call('/readyz');
      for (const [name, r] of Object.entries({ post, get, list, ready })) {
        during[`${name} ${r.status}`] = (during[`${name} ${r.status}`] ?? 0) + 1;
        if (name !== 'ready')
          expect({ name, retryAfter: r.retryAfter }).toEqual({
            name,
            retryAfter: expect.stringMatching(/^\d+$/),
          });
      }
      refusedKeys.push(key);
    }
  } finally {
    mongo.thaw();
  }
  expect(during).toEqual({ 'post 503': 1, 'get 503': 1, 'list 503': 1, 'ready 503': 1 });

  // Recovery needs nothing from anyone: the driver reconnects, readiness comes back.
  await waitFor(async () => (await call('/readyz')).status === 200, {
    timeoutMs: 30_000,
    what: '/readyz 200 after the freeze',
  });
  for (let i = 0; i < 6; i++) {
    const r = await waitFor(
      async () => {
        const x = await submit(`after-${i}`);
        return x.status === 202 || x.status === 200 ? x : false;
      },
      { timeoutMs: 20_000, what: `submission after-${i} accepted` },
    );
    accepted.push(r.body.id!);
  }

  // Every accepted job succeeds; a refused submission left at most one job, which runs too
  // (its insert may have reached the store before the freeze answered nothing).
  for (const key of refusedKeys) {
    const docs = await api.deps.repo.model.find({ idempotencyKey: key }).lean();
    expect(docs.length).toBeLessThanOrEqual(1);
    accepted.push(...docs.map((d) => String(d._id)));
  }
  await waitFor(
    async () => {
      const docs = await Promise.all(accepted.map((id) => api.deps.repo.get(id)));
      return docs.every((d) => d?.status === 'succeeded');
    },
    { timeoutMs: 90_000, intervalMs: 500, what: 'every accepted job succeeded' },
  );
}, 240_000);

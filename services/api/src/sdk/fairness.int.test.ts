import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  infra,
  mongoUrlForDb,
  startService,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// Fair dispatch end to end (API, scheduler and processor over the real RabbitMQ and store):
// owner A's burst is queued first, owner B's one job after it. B's job must not wait behind
// A's backlog. Asserted on order — how many of A's jobs started between B's submit and B's
// start — never on how long anything took.

const WINDOW = 40;
const BURST = 600;
let api: TestApi;
const procs: ServiceProcess[] = [];

interface Job {
  id: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
}

beforeAll(async () => {
  api = await startTestApi({ FAIR_WINDOW: String(WINDOW), RATE_LIMIT_PER_MINUTE: '0' });
  const { rabbitmqUrl, mongoUrl } = await infra();
  const env = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, api.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
  };
  procs.push(
    ...(await Promise.all([
      startService('scheduler', { ...env, DIGEST_CRON: 'off', FAIR_WINDOW: String(WINDOW) }),
      startService('processor', { ...env, CONCURRENCY: '4' }),
    ])),
  );
}, 5 * 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGTERM').catch(() => null)));
  await api?.close();
});

async function jobsOf(token: string): Promise<Job[]> {
  const all: Job[] = [];
  let cursor: string | null = null;
  do {
    const res = await api.call(`/v1/jobs?limit=200${cursor ? `&cursor=${cursor}` : ''}`, token);
    const page = (await res.json()) as { items: Job[]; nextCursor: string | null };
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

describe('fair dispatch across owners', () => {
  it(
    "starts owner B's one job ahead of owner A's queued backlog, and runs every job once",
    async () => {
      const a = await api.token({ sub: 'owner-a' });
      const b = await api.token({ sub: 'owner-b' });
      // n.b. slow enough jobs that A's backlog outlasts the test's own requests
      const jobs = Array.from({ length: 100 }, () => ({
        type: 'demo.count',
        payload: { to: 1, delayMs: 50 },
      }));
      for (let i = 0; i < BURST / 100; i++) {
        const res = await api.call('/v1/jobs/batch', a, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jobs }),
        });
        expect(res.status).toBe(202);
      }
      const submittedAt = Date.now();
      const res = await api.call('/v1/jobs', b, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
      });
      const bJob = (await res.json()) as Job;
      let done: Job | null = null;
      await waitFor(
        async () => {
          done = (await (await api.call(`/v1/jobs/${bJob.id}`, b)).json()) as Job;
          return done.status === 'succeeded';
        },
        { timeoutMs: 180_000, intervalMs: 100, what: "owner B's job succeeded" },
      );
      const bStart = Date.parse(done!.startedAt!);
      await waitFor(async () => (await jobsOf(a)).every((j) => j.status === 'succeeded'), {
        timeoutMs: 300_000,
        intervalMs: 500,
        what: "owner A's burst succeeded",
      });
      const aJobs = await jobsOf(a);
      expect(aJobs).toHaveLength(BURST);
      const startedBefore = aJobs.filter((j) => Date.parse(j.startedAt!) < bStart).length;
      const between = aJobs.filter((j) => {
        const t = Date.parse(j.startedAt!);
        return t >= submittedAt && t < bStart;
      }).length;
      process.stdout.write(
        `fairness: ${startedBefore} of A's ${BURST} jobs started before B's one job (${between} of them after B's submit); window ${WINDOW}\n`,
      );
      // B waited behind at most about the window (plus what the workers held), not A's backlog
      expect(startedBefore).toBeLessThan(BURST / 2);
      expect(between).toBeLessThanOrEqual(3 * WINDOW);
    },
    10 * 60_000,
  );
});

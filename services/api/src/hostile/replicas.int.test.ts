import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { infra, mongoUrlForDb, startService, type ServiceProcess } from '@conveyor/testkit';
import { startTestApi, TEST_JWT_SECRET, type TestApi } from '../testing/test-api.js';

// Two API processes on one store and broker allow one owner the limit once between them,
// not once each.

const LIMIT = 10;
let api: TestApi;
let second: ServiceProcess;

beforeAll(async () => {
  const { rabbitmqUrl, mongoUrl } = await infra();
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  second = await startService('api', {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, api.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PER_MINUTE: String(LIMIT),
  });
});

afterAll(async () => {
  await second?.stop('SIGTERM');
  await api?.close();
});

async function burst(owner: string): Promise<number[][]> {
  const token = await api.token({ sub: owner });
  const urls = [api.baseUrl, `http://127.0.0.1:${second.httpPort}`];
  const statuses: number[][] = [[], []];
  for (let i = 0; i < 2 * LIMIT; i++) {
    const which = i % 2;
    const res = await fetch(`${urls[which]}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
    });
    await res.body?.cancel();
    statuses[which]!.push(res.status);
  }
  return statuses;
}

it('holds one per-owner limit across two API replicas', async () => {
  // The limit counts per clock minute. A burst that straddles a minute boundary may
  // rightly be allowed twice, so such a burst is run again (a fresh owner) rather than
  // judged; three straddles in a row cannot happen with bursts shorter than a minute.
  let statuses: number[][] | undefined;
  for (let attempt = 0; attempt < 3 && !statuses; attempt++) {
    const minute = Math.floor(Date.now() / 60_000);
    const got = await burst(`replicated-${attempt}`);
    if (Math.floor(Date.now() / 60_000) === minute) statuses = got;
  }
  if (!statuses) throw new Error('every burst straddled a minute boundary');
  const accepted = statuses.flat().filter((s) => s === 202).length;
  const refused = statuses.flat().filter((s) => s === 429).length;
  expect({ accepted, refused }).toEqual({ accepted: LIMIT, refused: LIMIT });
  // both replicas served and refused: the limit is shared, not split
  for (const s of statuses) expect(s).toContain(202);
  expect(statuses[1]).toContain(429);
}, 180_000);

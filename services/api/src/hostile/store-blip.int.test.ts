import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// A connection to the store dropped in the middle of a submission: the API retries the
// insert briefly and answers 202, with exactly one job, also when the dropped attempt had
// already been written. A store that keeps dropping gets a 503, not an endless wait.
//
// The API reaches the store through a TCP proxy of this test that resets the connection of
// the next `insert` commands it sees — before forwarding them ('before') or after the
// server's answer was held back ('after').

let api: TestApi;
let proxy: Server;
let drop: { mode: 'before' | 'after'; count: number } = { mode: 'before', count: 0 };
let dropped = 0;
const sockets = new Set<Socket>();
// n.b. an OP_MSG's command document starts with its name: BSON string element "insert"
const INSERT = Buffer.from('\x02insert\x00', 'latin1');

function reset(...s: Socket[]) {
  for (const x of s) x.resetAndDestroy();
}

beforeAll(async () => {
  const { mongoUrl } = await infra();
  const target = new URL(mongoUrl);
  proxy = createServer((client) => {
    const server = connect(Number(target.port || 27017), target.hostname);
    sockets.add(client).add(server);
    let holdReply = false;
    client.on('data', (chunk: Buffer) => {
      if (drop.count > 0 && chunk.includes(INSERT)) {
        drop.count--;
        dropped++;
        if (drop.mode === 'before') return reset(client, server);
        holdReply = true;
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (holdReply) return reset(client, server);
      client.write(chunk);
    });
    for (const [a, b] of [
      [client, server],
      [server, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as { port: number }).port;
  const viaProxy = `mongodb://127.0.0.1:${port}/`;
  api = await startTestApi({
    MONGO_URL: mongoUrlForDb(viaProxy, uniqueName('blip').replace(/-/g, '_')),
  });
});

afterAll(async () => {
  drop.count = 0;
  await api?.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => proxy?.close(r));
});

beforeEach(() => {
  dropped = 0;
});

const submit = async (key: string) => {
  const token = await api.token({ sub: 'alice' });
  return api.call('/v1/jobs', token, {
    method: 'POST',
    body: JSON.stringify({ type: 'demo.count', payload: { to: 1 }, idempotencyKey: key }),
  });
};
const jobsWithKey = (key: string) => api.deps.repo.model.countDocuments({ idempotencyKey: key });

it('retries an insert whose connection was reset before it reached the store', async () => {
  drop = { mode: 'before', count: 1 };
  const res = await submit('blip-before');
  expect(dropped).toBe(1);
  expect(res.status).toBe(202);
  expect(await jobsWithKey('blip-before')).toBe(1);
});

it('counts an insert that landed although its answer was lost as created', async () => {
  drop = { mode: 'after', count: 1 };
  const res = await submit('blip-after');
  expect(dropped).toBe(1);
  // 202 (created), not 200 (an earlier submission's job): the lost attempt was this request's
  expect(res.status).toBe(202);
  const job = (await res.json()) as { id: string };
  expect(await jobsWithKey('blip-after')).toBe(1);
  expect((await api.deps.repo.get(job.id))?.idempotencyKey).toBe('blip-after');
});

it('answers 503 with Retry-After when the store keeps dropping, and recovers', async () => {
  drop = { mode: 'before', count: 100 };
  const res = await submit('blip-down');
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(dropped).toBeGreaterThan(1);
  drop.count = 0;
  expect(await jobsWithKey('blip-down')).toBe(0);
  const again = await submit('blip-down');
  expect(again.status).toBe(202);
  expect(await jobsWithKey('blip-down')).toBe(1);
});

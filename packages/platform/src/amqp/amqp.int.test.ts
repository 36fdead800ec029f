import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { envelope, jobDispatch, topology, type Topology } from '@conveyor/contracts';
import { infra, uniqueName, waitFor } from '@conveyor/testkit';
import { AmqpClient } from './client.js';
import { declareTopology, declareWorkQueues } from './topology.js';
import { consumeEnvelopes, publishEnvelope } from './messages.js';
import { createLogger } from '../logger.js';

const log = createLogger('amqp-test', 'silent');
let url: string;
let topo: Topology;
let client: AmqpClient;
const clients: AmqpClient[] = [];
// The broker's rabbitmqctl, whichever broker infra() gave (local node or container).
let rabbitmqctl: (args: string[]) => Promise<string>;

function newClient(name: string): AmqpClient {
  const c = new AmqpClient({
    url,
    name,
    log,
    setup: async (ch) => {
      await declareTopology(ch, topo);
      await declareWorkQueues(ch, topo, 'processor', ['demo.count', 'data.process'], {
        deliveryLimit: 2,
      });
      await declareWorkQueues(ch, topo, 'mailer', ['email.send'], { deliveryLimit: 2 });
    },
    publishTimeoutMs: 5000,
  });
  clients.push(c);
  return c;
}

const dispatch = (jobId: string) =>
  envelope(jobDispatch, { jobId, type: 'demo.count', attempt: 1, priority: 'normal' });
const hexId = () =>
  Array.from({ length: 24 }, () => Math.floor(Math.random() * 16).toString(16)).join('');

beforeAll(async () => {
  const servers = await infra();
  url = servers.rabbitmqUrl;
  if (!servers.rabbitmqctl) throw new Error('infra() gave no rabbitmqctl for this broker');
  rabbitmqctl = servers.rabbitmqctl;
  topo = topology(uniqueName('t'));
  client = newClient('amqp-test');
  await client.start();
});

afterAll(async () => {
  await client.withChannel(async (ch) => {
    for (const lane of ['standard', 'priority'] as const) {
      await ch.deleteQueue(topo.queues.work('processor', lane));
      await ch.deleteQueue(topo.queues.work('mailer', lane));
    }
    await ch.deleteQueue(topo.queues.dead);
    for (const ex of Object.values(topo.exchanges)) await ch.deleteExchange(ex);
  });
  await Promise.all(clients.map((c) => c.close()));
});

describe('topology', () => {
  it('declares exchanges and quorum work queues with a delivery limit and dead-lettering', async () => {
    await client.withChannel(async (ch) => {
      for (const ex of Object.values(topo.exchanges)) await ch.checkExchange(ex);
      for (const q of [
        topo.queues.work('processor', 'standard'),
        topo.queues.work('mailer', 'priority'),
        topo.queues.dead,
      ]) {
        const info = await ch.checkQueue(q);
        expect(info.queue).toBe(q);
      }
    });
    // Queue arguments are only visible through the management tooling.
    const out = await rabbitmqctl([
      'list_queues',
      'name',
      'type',
      'arguments',
      '--formatter',
      'json',
    ]);
    // rabbitmqctl lists arguments as [name, type, value] triples.
    const queues = JSON.parse(out) as {
      name: string;
      type: string;
      arguments: [string, string, unknown][];
    }[];
    const work = queues.find((q) => q.name === topo.queues.work('processor', 'standard'));
    expect(work?.type).toBe('quorum');
    const args = Object.fromEntries((work?.arguments ?? []).map(([k, , v]) => [k, v]));
    expect(args['x-delivery-limit']).toBe(2);
    expect(args['x-dead-letter-exchange']).toBe(topo.exchanges.dlx);
    expect(args['x-dead-letter-strategy']).toBe('at-least-once');
    expect(args['x-overflow']).toBe('reject-publish');
  });
});

describe('publish and consume', () => {
  it('round-trips a confirmed publish to an acking consumer', async () => {
    const seen: string[] = [];
    const consumer = await consumeEnvelopes(
      client,
      jobDispatch,
      { queue: topo.queues.work('processor', 'standard'), prefetch: 10 },
      (env, d) => {
        seen.push(env.data.jobId);
        d.ack();
      },
      { log },
    );
    const ids = Array.from({ length: 50 }, hexId);
    await Promise.all(
      ids.map((id) =>
        publishEnvelope(client, jobDispatch, topo.exchanges.jobs, 'demo.count', dispatch(id)),
      ),
    );
    await waitFor(() => seen.length >= 50, { timeoutMs: 10_000, what: '50 deliveries' });
    expect(new Set(seen)).toEqual(new Set(ids));
    await consumer.close();
  });

  it('reports an unroutable publish instead of dropping it silently', async () => {
    await expect(
      publishEnvelope(
        client,
        jobDispatch,
        topo.exchanges.jobs,
        'nobody.listens',
        dispatch(hexId()),
      ),
    ).rejects.toMatchObject({ code: 'AMQP_UNROUTABLE' });
    // The client still publishes fine afterwards.
    await publishEnvelope(
      client,
      jobDispatch,
      topo.exchanges.jobs,
      'demo.count',
      dispatch(hexId()),
    );
    await client.withChannel((ch) => ch.purgeQueue(topo.queues.work('processor', 'standard')));
  });

  it('dead-letters invalid messages and messages past the delivery limit', async () => {
    const queue = topo.queues.work('mailer', 'standard');
    const poison = { ...dispatch(hexId()), type: 'job.dispatch' };
    const consumer = await consumeEnvelopes(
      client,
      jobDispatch,
      { queue, prefetch: 5 },
      (env) => {
        // A handler that always crashes on this message: requeued until the delivery limit.
        if (env.id === poison.id) throw new Error('boom');
        throw new Error('unexpected');
      },
      { log },
    );
    await client.publish(topo.exchanges.jobs, 'email.send', Buffer.from('{"not":"an envelope"}'), {
      messageId: 'bad-1',
    });
    await client.publish(topo.exchanges.jobs, 'email.send', Buffer.from('not json at all'), {
      messageId: 'bad-2',
    });
    await publishEnvelope(client, jobDispatch, topo.exchanges.jobs, 'email.send', poison);
    const dead: string[] = [];
    await waitFor(
      async () =>
        client.withChannel(async (ch) => {
          for (;;) {
            const m = await ch.get(topo.queues.dead, { noAck: true });
            if (!m) break;
            dead.push(String(m.properties.messageId));
          }
          return dead.length >= 3;
        }),
      { timeoutMs: 20_000, what: 'three dead letters' },
    );
    expect(dead.sort()).toEqual(['bad-1', 'bad-2', poison.id].sort());
    await consumer.close();
    const left = await client.withChannel((ch) => ch.checkQueue(queue));
    expect(left.messageCount).toBe(0);
  });
});

describe('reconnection', () => {
  it('resumes consuming after the broker closes every connection, losing nothing', async () => {
    const c = newClient('amqp-reconnect-test');
    await c.start();
    let drops = 0;
    c.on('disconnected', () => drops++);
    const queue = topo.queues.work('processor', 'priority');
    const seen = new Set<string>();
    const consumer = await consumeEnvelopes(
      c,
      jobDispatch,
      { queue, prefetch: 5 },
      async (env, d) => {
        await new Promise((r) => setTimeout(r, 5));
        seen.add(env.data.jobId);
        d.ack();
      },
      { log },
    );
    const ids = Array.from({ length: 200 }, hexId);
    const publishing = (async () => {
      for (const [i, id] of ids.entries()) {
        // Publish through the other client so publishes keep flowing during the outage;
        // retry the ones caught in flight (at-least-once).
        for (;;) {
          try {
            await publishEnvelope(
              client,
              jobDispatch,
              topo.exchanges.jobsPriority,
              'demo.count',
              dispatch(id),
            );
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        if (i === 50) await rabbitmqctl(['close_all_connections', 'conveyor-test-outage']);
      }
    })();
    await publishing;
    await waitFor(() => seen.size === ids.length, {
      timeoutMs: 30_000,
      what: 'all 200 messages after reconnect',
    });
    expect(drops).toBeGreaterThanOrEqual(1);
    expect(c.connected).toBe(true);
    await consumer.close();
  });
});

describe('several broker addresses', () => {
  it('connects through the next address when one does not answer, and again after a loss', async () => {
    const live = new URL(url);
    // n.b. port 1 refuses at once: the node of a cluster that is down
    const c = new AmqpClient({
      url: `amqp://guest:guest@127.0.0.1:1,${url}`,
      name: 'amqp-test-list',
      log,
      setup: (ch) => declareTopology(ch, topo),
      publishTimeoutMs: 5000,
    });
    clients.push(c);
    await c.start();
    expect(c.endpoint).toBe(`${live.hostname}:${live.port || '5672'}`);
    await rabbitmqctl(['close_all_connections', 'cluster test']);
    await waitFor(() => c.connected && c.endpoint !== null, {
      timeoutMs: 20_000,
      what: 'reconnected through the list',
    });
    await c.publish(topo.exchanges.jobs, 'demo.count', Buffer.from('{}'));
  });
});

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  envelope,
  jobLifecycleEvent,
  topology,
  workerHeartbeat,
  type Topology,
} from '@conveyor/contracts';
import { AmqpClient, createLogger, declareTopology } from '@conveyor/platform';
import { infra, uniqueName, waitFor } from '@conveyor/testkit';
import { EventHub, type JobStreamEvent } from './hub.js';

// The API's event hub takes job events only while someone watches: with no SSE stream open
// the broker routes them nowhere, a first stream binds them before it reads the job, and the
// last stream's close unbinds them after the linger (0 here).

const log = createLogger('hub-test', 'silent');
let amqp: AmqpClient;
let topo: Topology;
let hub: EventHub;

beforeAll(async () => {
  const env = await infra();
  topo = topology(uniqueName('hub'));
  amqp = new AmqpClient({
    url: env.rabbitmqUrl,
    name: 'hub-test',
    log,
    setup: (ch) => declareTopology(ch, topo),
  });
  await amqp.start();
  hub = new EventHub(amqp, topo, log, undefined, { unbindAfterMs: 0 });
  await hub.start();
});

afterAll(async () => {
  await hub?.stop();
  await amqp?.close();
});

/** Publishes a job's `succeeded` event, then a heartbeat of `marker`, and waits for the heartbeat. */
async function publishJobEventThenMarker(jobId: string, marker: string): Promise<void> {
  const event = envelope(jobLifecycleEvent, {
    jobId,
    type: 'demo.count',
    owner: 'alice',
    status: 'succeeded',
    attempt: 1,
  });
  const beat = envelope(workerHeartbeat, {
    workerId: marker,
    service: 'processor',
    hostname: 'test',
    pid: 1,
    concurrency: 1,
    active: 0,
    jobTypes: [],
    startedAt: new Date().toISOString(),
  });
  await amqp.withChannel(async (ch) => {
    ch.publish(
      topo.exchanges.events,
      'job.succeeded.demo.count',
      Buffer.from(JSON.stringify(event)),
    );
    ch.publish(
      topo.exchanges.events,
      'worker.heartbeat.processor',
      Buffer.from(JSON.stringify(beat)),
    );
  });
  // n.b. one channel, one queue: the heartbeat arrives after the job event, if that was routed
  await waitFor(() => hub.workers.list().some((w) => w.workerId === marker), {
    what: `heartbeat ${marker}`,
  });
}

it('takes job events only while a stream is open', async () => {
  expect(hub.listening).toBe(false);
  await publishJobEventThenMarker('job-unwatched-1', 'marker-1');
  expect(hub.received).toBe(0);

  const seen: JobStreamEvent[] = [];
  const unsubscribe = hub.subscribe(
    {},
    (e) => seen.push(e),
    () => undefined,
  );
  await hub.ready();
  expect(hub.listening).toBe(true);
  await publishJobEventThenMarker('job-watched', 'marker-2');
  expect(seen.map((e) => (e.kind === 'lifecycle' ? e.env.data.jobId : e.kind))).toEqual([
    'job-watched',
  ]);

  unsubscribe();
  await waitFor(() => !hub.listening, { what: 'the job bindings removed' });
  await publishJobEventThenMarker('job-unwatched-2', 'marker-3');
  expect(hub.received).toBe(1);
  expect(seen).toHaveLength(1);
});

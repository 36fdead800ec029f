import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  envelope,
  jobLifecycleEvent,
  topology,
  workerHeartbeat,
  type JobStatus,
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

/** Publishes a job's lifecycle event, then a heartbeat of `marker`, and waits for the heartbeat. */
async function publishJobEventThenMarker(
  jobId: string,
  marker: string,
  status: JobStatus = 'succeeded',
): Promise<void> {
  const event = envelope(jobLifecycleEvent, {
    jobId,
    type: 'demo.count',
    owner: 'alice',
    status,
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
      `job.${status}.demo.count`,
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

it('binds only the statuses a filtered stream asks for, and everything while an unfiltered one is open', async () => {
  const received = hub.received;
  const ids = (events: JobStreamEvent[]) =>
    events.map((e) =>
      e.kind === 'lifecycle' ? `${e.env.data.jobId}:${e.env.data.status}` : e.kind,
    );
  const finals: JobStreamEvent[] = [];
  const closeFinals = hub.subscribe(
    { statuses: new Set(['succeeded', 'failed']) },
    (e) => finals.push(e),
    () => undefined,
  );
  await hub.ready();
  expect(hub.bindings).toEqual(['job.failed.#', 'job.succeeded.#']);
  await publishJobEventThenMarker('f-1', 'marker-f1', 'queued');
  await publishJobEventThenMarker('f-1', 'marker-f2', 'succeeded');
  // n.b. the queued event was not routed here at all, not merely filtered out
  expect(hub.received).toBe(received + 1);
  expect(ids(finals)).toEqual(['f-1:succeeded']);

  const everything: JobStreamEvent[] = [];
  const closeEverything = hub.subscribe(
    {},
    (e) => everything.push(e),
    () => undefined,
  );
  await hub.ready();
  expect(hub.bindings).toEqual(
    expect.arrayContaining(['job.#', 'workflow.#', 'job.failed.#', 'job.succeeded.#']),
  );
  await publishJobEventThenMarker('f-2', 'marker-f3', 'queued');
  await publishJobEventThenMarker('f-2', 'marker-f4', 'failed');
  expect(ids(everything)).toEqual(['f-2:queued', 'f-2:failed']);
  expect(ids(finals)).toEqual(['f-1:succeeded', 'f-2:failed']);

  closeEverything();
  await waitFor(() => hub.bindings.join() === 'job.failed.#,job.succeeded.#', {
    what: 'the bindings trimmed to the filtered stream',
  });
  closeFinals();
  await waitFor(() => !hub.listening, { what: 'every job binding removed' });
});

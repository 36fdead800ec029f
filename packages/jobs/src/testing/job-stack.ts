import type { Connection } from 'mongoose';
import { builtinJobTypes, LANES, topology, type Lane, type Topology } from '@conveyor/contracts';
import {
  AmqpClient,
  connectMongo,
  createLogger,
  declareTopology,
  type Logger,
} from '@conveyor/platform';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import type { JobRepository, NewJob } from '../job.repository.js';
import type { JobDispatcher } from '../dispatch.js';
import { createJobCore, type JobCore } from '../core.js';
import { JobHousekeeping } from '../housekeeping.js';
import type { JobContext } from '../handler.js';
import { PermanentJobError } from '../errors.js';
import { declareBuiltinQueues } from '../catalogue/builtin-queues.js';
import { SEED_REGISTRANT } from '../catalogue/catalogue.js';

/**
 * The job side of Conveyor against the real test servers, on a unique AMQP prefix and
 * database, for end-to-end tests: submit jobs as the API does, run housekeeping as the
 * scheduler does, and start service processes with `env`.
 */
export interface JobStack {
  /** RABBITMQ_URL, MONGO_URL and CONVEYOR_PREFIX of this stack, for service processes. */
  readonly env: Readonly<Record<'RABBITMQ_URL' | 'MONGO_URL' | 'CONVEYOR_PREFIX', string>>;
  readonly conn: Connection;
  readonly amqp: AmqpClient;
  readonly topo: Topology;
  readonly log: Logger;
  /** The job core as the API builds it: submit, cancel and retry act on it. */
  readonly core: JobCore;
  readonly repo: JobRepository;
  readonly dispatcher: JobDispatcher;
  readonly housekeeping: JobHousekeeping;
  /** Messages waiting in a work queue. */
  /** Messages waiting in a worker group's work queue. */
  queueDepth(queue: string, lane?: Lane): Promise<number>;
  /** Deletes the stack's queues and exchanges, drops its database, closes connections. */
  teardown(): Promise<void>;
}

/** A valid `demo.count {to: 1}` job of alice's, due now; `over` replaces any field. */
export function testJob(over: Partial<NewJob> = {}): NewJob {
  return {
    type: 'demo.count',
    payload: { to: 1 },
    priority: 'normal',
    owner: 'alice',
    maxAttempts: 3,
    timeoutMs: 10_000,
    runAt: new Date(),
    ...over,
  };
}

/** Starts a {@link JobStack}; `name` prefixes its database and AMQP names. */
export async function startJobStack(
  name: string,
  opts: { logLevel?: string } = {},
): Promise<JobStack> {
  const { rabbitmqUrl, mongoUrl } = await infra();
  const prefix = uniqueName(name);
  const dbUrl = mongoUrlForDb(mongoUrl, prefix.replace(/-/g, '_'));
  const log = createLogger(`test-${name}`, opts.logLevel ?? 'silent');
  const topo = topology(prefix);
  const conn = await connectMongo(dbUrl, log);
  const amqp = new AmqpClient({
    url: rabbitmqUrl,
    name: `test-${prefix}`,
    log,
    setup: async (ch) => {
      await declareTopology(ch, topo);
      await declareBuiltinQueues(ch, topo);
    },
  });
  await amqp.start();
  const core = createJobCore({ mongo: conn, amqp, topology: topo, log });
  const { repo, dispatcher } = core;
  await repo.ensureIndexes();
  await core.catalogue.seed(builtinJobTypes(), SEED_REGISTRANT);
  return {
    env: { RABBITMQ_URL: rabbitmqUrl, MONGO_URL: dbUrl, CONVEYOR_PREFIX: prefix },
    conn,
    amqp,
    topo,
    log,
    core,
    repo,
    dispatcher,
    housekeeping: new JobHousekeeping(repo, dispatcher, log, core.catalogue),
    queueDepth: (queue, lane = 'standard') =>
      amqp.withChannel(
        async (ch) => (await ch.checkQueue(topo.queues.work(queue, lane))).messageCount,
      ),
    async teardown() {
      await core.flush();
      core.catalogue.invalidate();
      const groups = new Set((await core.catalogue.records()).map((r) => r.entry.queue));
      await amqp.withChannel(async (ch) => {
        for (const group of groups)
          for (const lane of LANES) await ch.deleteQueue(topo.queues.work(group, lane));
        await ch.deleteQueue(topo.queues.dead);
        await ch.deleteQueue(topo.queues.callbacks);
        await ch.deleteQueue(topo.queues.workflows);
        for (const ex of Object.values(topo.exchanges)) await ch.deleteExchange(ex);
      });
      await amqp.close();
      await conn.dropDatabase();
      await conn.close();
    },
  };
}

/**
 * `files` and `submit` for a handler context built by hand in a test that calls a handler
 * directly: each throws, saying the test gave it no store.
 */
export function inertContext(): Pick<JobContext<unknown>, 'files' | 'submit'> {
  const absent = (what: string) => () =>
    Promise.reject(new PermanentJobError(`${what} is not available in this test`, 'NOT_IN_TEST'));
  return {
    files: { open: absent('ctx.files'), write: absent('ctx.files') },
    submit: absent('ctx.submit'),
  };
}

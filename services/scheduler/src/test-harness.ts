import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topology, type Topology } from '@conveyor/contracts';
import { JobDispatcher, JobRepository, ScheduleRepository } from '@conveyor/jobs';
import {
  AmqpClient,
  connectMongo,
  createLogger,
  declareTopology,
  type Logger,
} from '@conveyor/platform';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';

/** Real servers for one scheduler integration test: a unique database and AMQP prefix. */
export interface Harness {
  conn: Awaited<ReturnType<typeof connectMongo>>;
  amqp: AmqpClient;
  topo: Topology;
  log: Logger;
  jobs: JobRepository;
  schedules: ScheduleRepository;
  dispatcher: JobDispatcher;
  /** Starts `node dist/main.js` against this harness's servers. */
  spawnScheduler(env?: Record<string, string>): ChildProcess;
  /** Messages waiting in the processor's standard work queue. */
  processorQueueDepth(): Promise<number>;
  teardown(): Promise<void>;
}

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

/** Connects to the test servers with a fresh database and prefix. */
export async function startHarness(name: string): Promise<Harness> {
  const { rabbitmqUrl, mongoUrl } = await infra();
  const db = uniqueName(name).replace(/-/g, '_');
  const prefix = uniqueName(name);
  const dbUrl = mongoUrlForDb(mongoUrl, db);
  const log = createLogger(`test-${name}`, 'warn');
  const topo = topology(prefix);
  const conn = await connectMongo(dbUrl, log);
  const amqp = new AmqpClient({
    url: rabbitmqUrl,
    name: `test-${prefix}`,
    log,
    setup: (ch) => declareTopology(ch, topo),
  });
  await amqp.start();
  const jobs = new JobRepository(conn);
  const schedules = new ScheduleRepository(conn);
  await jobs.ensureIndexes();
  await schedules.ensureIndexes();
  const children: ChildProcess[] = [];
  return {
    conn,
    amqp,
    topo,
    log,
    jobs,
    schedules,
    dispatcher: new JobDispatcher(amqp, topo, jobs, log),
    spawnScheduler(env = {}) {
      const child = spawn(process.execPath, [MAIN], {
        env: {
          PATH: process.env['PATH'] ?? '',
          RABBITMQ_URL: rabbitmqUrl,
          MONGO_URL: dbUrl,
          CONVEYOR_PREFIX: prefix,
          METRICS_PORT: '0',
          LOG_LEVEL: 'warn',
          ...env,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      children.push(child);
      return child;
    },
    async processorQueueDepth() {
      return amqp.withChannel(
        async (ch) => (await ch.checkQueue(topo.queues.work('processor', 'standard'))).messageCount,
      );
    },
    async teardown() {
      // n.b. SIGTERM and wait: dropping a database under a killed client's in-flight writes
      // has crashed the local FerretDB (SQLite WAL), taking every other test down with it.
      await Promise.all(children.map((c) => stopGracefully(c)));
      await new Promise((r) => setTimeout(r, 1000));
      await amqp.withChannel(async (ch) => {
        for (const service of ['mailer', 'processor'] as const) {
          for (const lane of ['standard', 'priority'] as const)
            await ch.deleteQueue(topo.queues.work(service, lane));
        }
        await ch.deleteQueue(topo.queues.dead);
        for (const ex of Object.values(topo.exchanges)) await ch.deleteExchange(ex);
      });
      await amqp.close();
      await conn.dropDatabase();
      await conn.close();
    },
  };
}

/** Stops a spawned scheduler with SIGTERM and waits for its exit; SIGKILL after `killAfterMs` (10000). */
export function stopGracefully(child: ChildProcess, killAfterMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

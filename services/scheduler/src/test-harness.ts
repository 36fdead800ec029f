import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Topology } from '@conveyor/contracts';
import { ScheduleRepository, type JobRepository } from '@conveyor/jobs/store';
import type { JobCore, JobDispatcher } from '@conveyor/jobs/dispatch';
import { startJobStack } from '@conveyor/jobs/testing';
import type { AmqpClient, Logger } from '@conveyor/platform';
import type { Connection } from 'mongoose';

/** Real servers for one scheduler integration test: a unique database and AMQP prefix. */
export interface Harness {
  conn: Connection;
  amqp: AmqpClient;
  topo: Topology;
  log: Logger;
  core: JobCore;
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

/** A job stack (see `startJobStack`) plus schedules and scheduler processes. */
export async function startHarness(name: string): Promise<Harness> {
  const stack = await startJobStack(name, { logLevel: 'warn' });
  const schedules = new ScheduleRepository(stack.conn);
  await schedules.ensureIndexes();
  const children: ChildProcess[] = [];
  return {
    conn: stack.conn,
    amqp: stack.amqp,
    topo: stack.topo,
    log: stack.log,
    core: stack.core,
    jobs: stack.repo,
    schedules,
    dispatcher: stack.dispatcher,
    spawnScheduler(env = {}) {
      const child = spawn(process.execPath, [MAIN], {
        env: {
          PATH: process.env['PATH'] ?? '',
          ...stack.env,
          METRICS_PORT: '0',
          LOG_LEVEL: 'warn',
          ...env,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      children.push(child);
      return child;
    },
    processorQueueDepth: () => stack.queueDepth('processor'),
    async teardown() {
      // n.b. SIGTERM and wait: a scheduler still running would write into the next test's
      // view of a dropped database.
      await Promise.all(children.map((c) => stopGracefully(c)));
      await new Promise((r) => setTimeout(r, 1000));
      await stack.teardown();
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

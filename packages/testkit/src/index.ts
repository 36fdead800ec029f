/**
 * Test harness for Conveyor's integration tests: real RabbitMQ / MongoDB-wire endpoints
 * from the environment (`pnpm infra:up`), else Testcontainers when a Docker engine is
 * reachable, else a loud error saying how to get either. Never a silent skip.
 *
 * Must not import other `@conveyor/*` packages: they depend on this one for their tests.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StartedRabbitMQContainer } from '@testcontainers/rabbitmq';

/** Endpoints integration tests run against. */
export interface Infra {
  /** `amqp://…` of a running RabbitMQ. */
  rabbitmqUrl: string;
  /** `mongodb://…/<db>` of a running MongoDB-wire server; pick a per-test db with {@link mongoUrlForDb}. */
  mongoUrl: string;
  /** HTTP base of the SMTP catcher, from `SMTP_CATCHER_URL` (absent when not set). */
  smtpCatcherUrl?: string;
  /** HTTP base of the RabbitMQ management API, with credentials (absent when unknown). */
  rabbitmqManagementUrl?: string;
  /**
   * Runs `rabbitmqctl <args>` against the broker behind `rabbitmqUrl` and resolves its
   * stdout, for fault injection (`close_all_connections`, `stop_app`, `start_app`).
   * Absent when the broker is neither the local `pnpm infra:up` node nor a container.
   */
  rabbitmqctl?: (args: string[]) => Promise<string>;
}

const HOW_TO_START =
  'start the local infrastructure with `pnpm infra:up` (see README) and load the variables it ' +
  'prints (`set -a; . .infra/env; set +a`; `pnpm test` does this), or unset the variable and ' +
  'run with a Docker engine so Testcontainers can start the servers';

/** Shown in errors instead of the password a URL may contain. */
function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/** host:port pairs of an amqp(s):// or mongodb:// URL (a mongodb URL may list several). */
function endpoints(url: string): Array<{ host: string; port: number }> {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/?#]+)/i.exec(url);
  if (!match?.[1] || !match[2]) throw new Error(`not a URL: ${redact(url)}`);
  const scheme = match[1].toLowerCase();
  const defaultPort = { amqp: 5672, amqps: 5671, mongodb: 27017, http: 80, https: 443 }[scheme];
  return match[2].split(',').map((hostPort) => {
    const parsed = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
    const port = parsed?.[2] ? Number(parsed[2]) : defaultPort;
    if (!parsed?.[1] || port === undefined)
      throw new Error(`cannot find host:port in ${redact(url)}`);
    return { host: parsed[1].replace(/^\[|\]$/g, ''), port };
  });
}

/** Resolves when a TCP connection to host:port succeeds; rejects after `timeoutMs`. */
function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    });
    socket.once('error', (error) => reject(error));
  });
}

/** Throws the loud error unless at least one host of the URL in `variable` answers. */
async function verifyAnswers(variable: string, url: string): Promise<void> {
  // n.b. an SRV URL names a DNS record, not a host; the driver reports those failures itself.
  if (/^mongodb\+srv:/i.test(url)) return;
  let lastError: unknown;
  for (const { host, port } of endpoints(url)) {
    try {
      return await tcpConnect(host, port, 3_000);
    } catch (error) {
      lastError = error;
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(
    `${variable}=${redact(url)} does not answer (${reason}). Integration tests need that server: ${HOW_TO_START}.`,
  );
}

/** The workspace root: the nearest directory above this file holding pnpm-workspace.yaml. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the workspace root (pnpm-workspace.yaml)');
    dir = parent;
  }
  return dir;
}

/**
 * Runs `rabbitmqctl <args>` against the local `pnpm infra:up` node (through
 * `scripts/infra.sh rabbitmqctl`, which supplies its node name and Erlang cookie).
 * Resolves stdout; rejects with stderr when the command fails.
 */
export function rabbitmqctl(args: string[]): Promise<string> {
  const script = join(repoRoot(), 'scripts', 'infra.sh');
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [script, 'rabbitmqctl', ...args],
      { timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`rabbitmqctl ${args.join(' ')} failed: ${stderr.trim() || error.message}`),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** The variables `pnpm infra:up` wrote to .infra/env (empty when it never ran). */
function localInfraEnv(): Record<string, string> {
  const path = join(repoRoot(), '.infra', 'env');
  if (!existsSync(path)) return {};
  const entries: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) entries[match[1]] = match[2];
  }
  return entries;
}

interface Containers {
  rabbitmq?: Promise<StartedRabbitMQContainer>;
  /** The started MongoDB-wire container's URL. */
  mongo?: Promise<string>;
}

// n.b. jest gives every test file its own module registry, so this cache lives per file;
// withReuse() makes the other files of the run attach to the same running containers.
const containers: Containers = {};

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Testcontainers images, overridable where the official ones cannot be pulled. */
export const DEFAULT_RABBITMQ_IMAGE = 'rabbitmq:3.13-management';
export const DEFAULT_MONGO_IMAGE = 'mongo:7';

/**
 * True when `image` is the official MongoDB image (any tag), which Testcontainers' MongoDB
 * module starts as a one-member replica set; any other image is taken as a plain
 * MongoDB-wire server listening on 27017 (e.g. the project's mongo-java-server stand-in).
 */
export function isOfficialMongoImage(image: string): boolean {
  return /^(?:(?:docker\.io\/)?(?:library\/)?)mongo(?::[^/]*)?(?:@.*)?$/.test(image);
}

function startRabbitMq(): Promise<StartedRabbitMQContainer> {
  const image = process.env.CONVEYOR_TESTCONTAINERS_RABBITMQ_IMAGE || DEFAULT_RABBITMQ_IMAGE;
  containers.rabbitmq ??= import('@testcontainers/rabbitmq').then(({ RabbitMQContainer }) =>
    new RabbitMQContainer(image).withReuse().start(),
  );
  return containers.rabbitmq;
}

/** Starts the MongoDB container and resolves its `mongodb://` URL (database `conveyor`). */
function startMongo(): Promise<string> {
  const image = process.env.CONVEYOR_TESTCONTAINERS_MONGO_IMAGE || DEFAULT_MONGO_IMAGE;
  containers.mongo ??= isOfficialMongoImage(image)
    ? import('@testcontainers/mongodb').then(async ({ MongoDBContainer }) => {
        const mongo = await new MongoDBContainer(image).withReuse().start();
        // n.b. the container is a one-member replica set whose advertised host is internal
        // to Docker; directConnection keeps the driver on the mapped port.
        return mongoUrlForDb(`${mongo.getConnectionString()}/?directConnection=true`, 'conveyor');
      })
    : import('testcontainers').then(async ({ GenericContainer, Wait }) => {
        const mongo = await new GenericContainer(image)
          .withExposedPorts(27017)
          .withWaitStrategy(Wait.forListeningPorts())
          .withReuse()
          .start();
        return `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}/conveyor`;
      });
  return containers.mongo;
}

/**
 * Resolves the servers integration tests run against, per server:
 * 1. `RABBITMQ_URL` / `MONGO_URL` when set (e.g. from `pnpm infra:up`), after checking that
 *    they accept a TCP connection within 3 s;
 * 2. otherwise, when a Docker engine is reachable, containers started through Testcontainers:
 *    `rabbitmq:3.13-management` and `mongo:7`, or the images named by
 *    `CONVEYOR_TESTCONTAINERS_RABBITMQ_IMAGE` / `CONVEYOR_TESTCONTAINERS_MONGO_IMAGE` (a
 *    non-official MongoDB image is run as a plain MongoDB-wire server on 27017);
 * 3. otherwise it rejects with an error that says how to start them.
 *
 * `SMTP_CATCHER_URL` and `RABBITMQ_MANAGEMENT_URL` are passed through (and checked) when set.
 */
export async function infra(): Promise<Infra> {
  const env = process.env;
  const missing = ['RABBITMQ_URL', 'MONGO_URL'].filter((name) => !env[name]);
  for (const name of ['RABBITMQ_URL', 'MONGO_URL', 'SMTP_CATCHER_URL', 'RABBITMQ_MANAGEMENT_URL']) {
    const value = env[name];
    if (value) await verifyAnswers(name, value);
  }
  if (missing.length > 0 && !(await dockerAvailable())) {
    throw new Error(
      `Integration tests need RabbitMQ and a MongoDB-wire server, but ${missing.join(' and ')} ` +
        `${missing.length > 1 ? 'are' : 'is'} not set and no Docker engine is reachable. Either ` +
        'start the local infrastructure with `pnpm infra:up` (see README) and load the ' +
        'variables it prints (`set -a; . .infra/env; set +a`; `pnpm test` does this), or ' +
        'start a Docker engine (or set DOCKER_HOST) so Testcontainers can run the servers.',
    );
  }

  const result: Infra = { rabbitmqUrl: '', mongoUrl: '' };
  if (env.RABBITMQ_URL) {
    result.rabbitmqUrl = env.RABBITMQ_URL;
    if (env.RABBITMQ_MANAGEMENT_URL) result.rabbitmqManagementUrl = env.RABBITMQ_MANAGEMENT_URL;
    if (localInfraEnv().RABBITMQ_URL === env.RABBITMQ_URL) result.rabbitmqctl = rabbitmqctl;
  } else {
    const broker = await startRabbitMq();
    result.rabbitmqUrl = broker.getAmqpUrl();
    result.rabbitmqManagementUrl = `http://guest:guest@${broker.getHost()}:${broker.getMappedPort(15672)}`;
    result.rabbitmqctl = async (args) => {
      const { exitCode, stdout, stderr } = await broker.exec(['rabbitmqctl', ...args]);
      if (exitCode !== 0) throw new Error(`rabbitmqctl ${args.join(' ')} failed: ${stderr.trim()}`);
      return stdout;
    };
  }
  if (env.MONGO_URL) {
    result.mongoUrl = env.MONGO_URL;
  } else {
    result.mongoUrl = await startMongo();
  }
  if (env.SMTP_CATCHER_URL) result.smtpCatcherUrl = env.SMTP_CATCHER_URL;
  return result;
}

/**
 * `prefix` plus a random suffix, made only of `[a-z0-9_-]` and at most 48 characters, so
 * it is valid as a queue, exchange, MongoDB database or collection name.
 */
export function uniqueName(prefix: string): string {
  const safe = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, 36);
  return `${safe}-${randomBytes(5).toString('hex')}`;
}

/**
 * Replaces the database path of a `mongodb://` (or `mongodb+srv://`) URL, keeping hosts,
 * credentials and options: `mongoUrlForDb('mongodb://h:27017/conveyor?x=1', 'db1')` is
 * `mongodb://h:27017/db1?x=1`.
 */
export function mongoUrlForDb(baseUrl: string, dbName: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?#]+)(?:\/[^?#]*)?(.*)$/i.exec(baseUrl);
  if (!match?.[1]) throw new Error(`not a mongodb:// URL: ${redact(baseUrl)}`);
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(dbName)) {
    throw new Error(`database name must match [A-Za-z0-9_-]{1,63}: "${dbName}"`);
  }
  return `${match[1]}/${dbName}${match[2] ?? ''}`;
}

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** What is awaited, for the timeout message (default "condition"). */
  what?: string;
}

/**
 * Polls `fn` until it returns a value other than `undefined`, `null` or `false`, and
 * resolves that value. Errors thrown by `fn` count as "not yet" (so it can hold
 * expectations); on timeout it rejects naming `what` and the last error.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const { timeoutMs = 10_000, intervalMs = 100, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) {
        return value as Exclude<T, undefined | null | false>;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
/** A TCP port on 127.0.0.1 that was free a moment ago (for a child's metrics server). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A sample from Prometheus exposition text: the first line of metric `name` whose labels
 * include `labels` (others, such as a service's default labels, may be present); undefined
 * when there is none. For a registry in the test's process: `sampleValue(await registry.metrics(), …)`.
 */
export function sampleValue(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** {@link sampleValue} scraped from a service's `/metrics` on 127.0.0.1; throws when missing. */
export async function metricValue(
  port: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = sampleValue(text, name, labels);
  if (value === undefined)
    throw new Error(`no sample ${name} ${JSON.stringify(labels)} at 127.0.0.1:${port}/metrics`);
  return value;
}

export * from './process.js';
export * from './local-mongo.js';
export * from './cluster.js';

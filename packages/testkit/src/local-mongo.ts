import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './process.js';

/** A local MongoDB-wire server started by a test, its process the test's to freeze or stop. */
export interface LocalMongo {
  /** `mongodb://127.0.0.1:<port>/` (add a database with `mongoUrlForDb`). */
  readonly url: string;
  readonly pid: number;
  /** SIGSTOP: the process keeps its sockets open and answers nothing, like a stalled primary. */
  freeze(): void;
  /** SIGCONT: the process answers again, with its data. */
  thaw(): void;
  /** Thaws (a stopped process cannot act on SIGTERM) and terminates it; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the project's local MongoDB-wire server (the launcher `pnpm infra:up` builds into
 * `.infra/bin/mongo-server`) as a child process of this test on `port` (a free one by
 * default), and resolves once it accepts connections. Faults that must hit the store process
 * itself (SIGSTOP) need a server no other test shares: this is that server.
 */
export async function startLocalMongo(opts: { port?: number } = {}): Promise<LocalMongo> {
  const dist = join(repoRoot(), '.infra', 'bin', 'mongo-server');
  const jar = join(dist, 'conveyor-local-mongo-1.0.0.jar');
  if (!existsSync(jar))
    throw new Error(
      `${jar} is missing: run \`pnpm infra:up\` once (it builds the local MongoDB-wire server)`,
    );
  const { freePort } = await import('./index.js');
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xss1m',
      '-Xmx512m',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      // n.b. as scripts/infra.sh starts it (see PathSplitAgent)
      `-javaagent:${jar}`,
      '-cp',
      `${dist}/*:${jar}`,
      'dev.conveyor.localmongo.Main',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`local mongo exited at start:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`local mongo did not listen on 127.0.0.1:${port} in 60 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  let stopping: Promise<void> | null = null;
  return {
    url: `mongodb://127.0.0.1:${port}/`,
    pid: child.pid!,
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// A Redis for the comparison: the Debian `redis-server` started on a port of our choosing with
// append-only-file persistence fsynced every second (so acknowledged jobs survive a crash of
// Redis, up to the last second), in a temporary directory, stopped by its PID.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Sends one command in RESP and resolves the raw reply text (enough for PING / CONFIG GET). */
export function redisCommand({ host, port }, ...args) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no reply from Redis within 5 s')));
    socket.on('connect', () =>
      socket.write(
        `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
      ),
    );
    socket.on('data', (d) => {
      reply += d.toString('utf8');
      // n.b. a simple reply is one line; an array of n bulk strings is 1 + 2n lines
      const lines = reply.split('\r\n').length - 1;
      const array = /^\*(\d+)\r\n/.exec(reply);
      if (lines >= (array ? 1 + 2 * Number(array[1]) : 1)) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `redis-server` (from PATH) on 127.0.0.1:`port` (a free port when 0) with
 * `--appendonly yes --appendfsync everysec` in a fresh temporary directory.
 * @returns {Promise<{host: string, port: number, pid: number, dir: string, stop: () => Promise<void>}>}
 */
export async function startRedis(port = 0) {
  const host = '127.0.0.1';
  const chosen = port || (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-bench-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--bind',
      host,
      '--port',
      String(chosen),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('error', (error) => {
    stderr +=
      error.code === 'ENOENT'
        ? 'redis-server not found: apt-get install -y redis-server'
        : error.message;
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.pid === undefined)
      throw new Error(`redis-server did not start: ${stderr.trim()}`);
    try {
      if ((await redisCommand({ host, port: chosen }, 'PING')).startsWith('+PONG')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `redis-server did not answer PING on ${host}:${chosen} within 15 s: ${stderr.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    port: chosen,
    pid: child.pid,
    dir,
    async stop() {
      if (child.exitCode === null) {
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A service process started by a test. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Port of /metrics /healthz /readyz, from the service's start-up log line. */
  readonly opsPort: number;
  /** Port of the HTTP API (api service only), from its log line. */
  readonly httpPort: number | null;
  /** Every log line so far (JSON lines parsed where possible). */
  readonly lines: string[];
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('pnpm-workspace.yaml not found above testkit');
    dir = up;
  }
  return dir;
}

/**
 * Starts `services/<name>/dist/main.js` as a real process with `env` added to the current
 * environment (METRICS_PORT=0 and PORT=0 unless given), and resolves once it logged its ops
 * server (and, for the API, its HTTP listener) — i.e. after MongoDB and RabbitMQ checks passed.
 */
export async function startService(
  name: 'api' | 'processor' | 'mailer' | 'scheduler' | (string & {}),
  env: Record<string, string>,
  opts: {
    readyTimeoutMs?: number;
    /** The script to run instead of the service's `dist/main.js` (absolute, or from the repository root). */
    entry?: string;
  } = {},
): Promise<ServiceProcess> {
  const entry = opts.entry?.startsWith('/')
    ? opts.entry
    : join(repoRoot(), opts.entry ?? join('services', name, 'dist', 'main.js'));
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, METRICS_PORT: '0', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let opsPort = 0;
  let httpPort: number | null = null;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg?.startsWith('ops server listening') && rec.port) opsPort = rec.port;
        if (rec.msg?.startsWith('api listening') && rec.port) httpPort = rec.port;
      } catch {
        // not a JSON log line (e.g. a crash trace); kept in `lines`
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  const started = () =>
    opsPort > 0 &&
    (name !== 'api' || httpPort !== null) &&
    lines.some((l) => /"msg":"(worker started|scheduler started|api listening)/.test(l));
  while (!started()) {
    if (child.exitCode !== null)
      throw new Error(
        `${name} exited with ${child.exitCode} before it was ready:\n${lines.slice(-20).join('\n')}`,
      );
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready in time:\n${lines.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name,
    child,
    opsPort,
    httpPort,
    lines,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

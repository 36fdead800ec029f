import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { infra, mongoUrlForDb, waitFor } from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';
import {
  placeholdersIn,
  readRun,
  scriptFor,
  shellBlocks,
  type ShellBlock,
} from './shell-blocks.js';

/**
 * Every shell block of README.md and docs/guide.md, run as pasted, in order, in one bash,
 * against the system `npm start` brings up: scripts/dev.sh (what `npm start` ends with) on
 * free ports, with a database, prefix and SMTP catcher of its own.
 */

const RUN_TIMEOUT_MS = 300_000;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) dir = dirname(dir);
  return dir;
}
const root = repoRoot();

/** A child process whose output is collected; `stop()` signals it and waits for its exit. */
interface Child {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = root): Child {
  const proc = spawn(command, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  proc.stdout?.on('data', (c: Buffer) => (text += c.toString('utf8')));
  proc.stderr?.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  return { proc, out: () => text, exited };
}

async function stop(child: Child | undefined, timeoutMs = 20_000): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => {
    // n.b. its own process group: a script that did not stop its children in time.
    if (child.proc.pid) process.kill(-child.proc.pid, 'SIGKILL');
  }, timeoutMs);
  await child.exited;
  clearTimeout(timer);
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** `count` consecutive free ports (dev.sh puts the services' ops ports at base … base+3). */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

let api: TestApi;
let catcher: Child;
let dev: Child;
let catcherUrl = '';
let apiPort = 0;
let runDir = '';
const documents = ['README.md', 'docs/guide.md'];
const blocks: ShellBlock[] = [];

beforeAll(async () => {
  for (const file of documents)
    blocks.push(...shellBlocks(await readFile(join(root, file), 'utf8'), file));
  // The in-process API gives the run its own database and prefix, and removes them after.
  api = await startTestApi();
  const { rabbitmqUrl, mongoUrl, rabbitmqManagementUrl } = await infra();

  catcher = run(process.execPath, [join(root, 'packages/smtp-catcher/dist/main.js')], {
    ...process.env,
    SMTP_CATCHER_SMTP_PORT: '0',
    SMTP_CATCHER_HTTP_PORT: '0',
  });
  const started = await waitFor(
    () => /"started".*?"smtp":"([^"]+)".*?"http":"([^"]+)"/.exec(catcher.out()),
    { timeoutMs: 15_000, what: 'the SMTP catcher' },
  );
  const smtpUrl = started[1] ?? '';
  catcherUrl = started[2] ?? '';

  apiPort = await freePorts(1);
  const metricsBase = await freePorts(4);
  dev = run('bash', ['scripts/dev.sh'], {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(apiPort),
    CONVEYOR_DEV_METRICS_PORT: String(metricsBase),
    RABBITMQ_URL: rabbitmqUrl,
    ...(rabbitmqManagementUrl ? { RABBITMQ_MANAGEMENT_URL: rabbitmqManagementUrl } : {}),
    MONGO_URL: mongoUrlForDb(mongoUrl, api.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: api.deps.runtime.topology.prefix,
    SMTP_URL: smtpUrl,
    SMTP_CATCHER_URL: catcherUrl,
    SCAN_INTERVAL_MS: '250',
  });
  await waitFor(() => dev.out().includes('Ctrl-C stops everything.'), {
    timeoutMs: 120_000,
    intervalMs: 250,
    what: `the system to start (dev.sh said:\n${dev.out().slice(-2000)})`,
  });
  runDir = await mkdtemp(join(root, '.readme-run-'));
}, 180_000);

afterAll(async () => {
  await stop(dev);
  await stop(catcher);
  if (runDir) await rm(runDir, { recursive: true, force: true });
  await api?.close();
}, 60_000);

describe('the README and the guide', () => {
  it('npm start prints a dashboard sign-in link for development', () => {
    const link = /Sign in \(development[^)]*\): (http:\S+)/.exec(dev.out())?.[1];
    expect(link).toMatch(
      new RegExp(
        `^http://127\\.0\\.0\\.1:${apiPort}/ui/#/sign-in\\?token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`,
      ),
    );
  });

  it('hold no placeholder a reader must fill in, in any block that runs', () => {
    const found = blocks
      .filter((b) => b.notRun === null)
      .flatMap((b) => placeholdersIn(b.text).map((p) => `${b.where}: ${p}`));
    expect(found).toEqual([]);
  });

  it(
    'run every shell block as pasted, in order, against the system npm start brings up',
    async () => {
      const runnable = blocks.filter((b) => b.notRun === null);
      // n.b. the guide's walkthroughs must be among them, not only the README's first job.
      expect(runnable.length).toBeGreaterThanOrEqual(12);
      const ports = { api: apiPort, catcher: Number(new URL(catcherUrl).port) };
      const script = join(runDir, 'readme.sh');
      await writeFile(script, scriptFor(runnable, ports));
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development' };
      delete env['TOKEN'];
      const child = spawn('bash', [script], {
        cwd: runDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
      const report = readRun(stdout, stderr);
      const context = `\n--- stdout (end)\n${stdout.slice(-4000)}\n--- stderr (end)\n${stderr.slice(-4000)}`;

      expect({ code, ended: report.ended, failures: report.failures, context }).toEqual({
        code: 0,
        ended: true,
        failures: [],
        context,
      });
      const wrong = runnable.flatMap((b, i) => {
        const answers = report.statuses.get(i) ?? [];
        const bad = answers.filter((a) =>
          b.expectsStatus === null
            ? a.status < 200 || a.status >= 400
            : a.status >= 400 && a.status !== b.expectsStatus,
        );
        const missing =
          b.expectsStatus !== null && !answers.some((a) => a.status === b.expectsStatus)
            ? [`${b.where}: expected an HTTP ${b.expectsStatus}`]
            : [];
        return [...bad.map((a) => `${b.where}: ${a.status} ${a.request}`), ...missing];
      });
      expect(wrong).toEqual([]);

      // What the blocks produce, as a reader would check it.
      expect(stdout).toContain('{"counted":5}');
      expect((await readFile(join(runDir, 'report.pdf'))).subarray(0, 5).toString()).toBe('%PDF-');
      expect(await readFile(join(runDir, 'report.csv'), 'utf8')).toMatch(/^Berlin,17$/m);
      expect(stdout).toContain('/webhooks/demo signature verified: true');
      const subjects = (await (await fetch(`${catcherUrl}/api/messages`)).json()) as {
        subject: string | null;
        to: string[];
      }[];
      expect(subjects.some((m) => m.to.includes('ann@example.com'))).toBe(true);
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});

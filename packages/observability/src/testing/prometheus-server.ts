import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '@conveyor/testkit';
import { RULES_DIR } from '../repo-paths.js';

/** One scrape job: its name, targets and optional path/params. */
export interface ScrapeJob {
  readonly job: string;
  readonly targets: readonly string[];
  readonly path?: string;
  readonly params?: Readonly<Record<string, readonly string[]>>;
}

/** A Prometheus the test started; {@link PrometheusServer.stop} ends it and deletes its data. */
export interface PrometheusServer {
  readonly url: string;
  /** `GET /api/v1/<path>` with query parameters; throws on a non-success answer. */
  api<T>(path: string, params: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts the `prometheus` binary (Debian's package, installed by `pnpm infra:up`) on a free
 * loopback port with its own data directory, scraping `jobs` every `scrapeInterval` and
 * evaluating Conveyor's rules. Fails loudly when the binary is missing.
 */
export async function startPrometheus(
  jobs: readonly ScrapeJob[],
  opts: { scrapeInterval?: string } = {},
): Promise<PrometheusServer> {
  const interval = opts.scrapeInterval ?? '1s';
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-prometheus-'));
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: [resolve(RULES_DIR, '*.yml')],
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      ...(j.path ? { metrics_path: j.path } : {}),
      ...(j.params ? { params: j.params } : {}),
      static_configs: [{ targets: j.targets }],
    })),
  };
  // n.b. JSON is YAML: no YAML library needed
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  try {
    child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    throw new Error(`cannot start prometheus: ${(err as Error).message}`);
  }
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(
        new Error(
          `prometheus could not be started (${err.message}): install it with \`pnpm infra:up\` (Debian package prometheus)`,
        ),
      ),
    ),
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await Promise.race([
    spawnError,
    waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `prometheus ready at ${url}` },
    ),
  ]);
  return {
    url,
    async api<T>(path: string, params: Record<string, string>): Promise<T> {
      const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(body.error ?? `HTTP ${res.status}`);
      return body.data;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

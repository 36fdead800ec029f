import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An example copied out of the repository and installed from the packed SDK. */
export interface InstalledExample {
  /** The directory it was installed and compiled in. */
  dir: string;
  /** Deletes the directory. */
  remove(): Promise<void>;
}

/**
 * Packs the SDK (`scripts/pack-sdk.sh --verify`), copies `examples/<name>` into a temporary
 * directory outside the repository (so nothing resolves through the workspace), points its
 * `file:` dependencies at the tarballs, `npm install`s and compiles it (`npm run build`).
 */
export async function installExample(root: string, name: string): Promise<InstalledExample> {
  const timeout = 10 * 60_000;
  // n.b. --verify: every entry point of every tarball imports from a plain npm install too
  await run('bash', [join(root, 'scripts', 'pack-sdk.sh'), '--verify'], { cwd: root, timeout });
  const dir = await mkdtemp(join(tmpdir(), `conveyor-example-${name}-`));
  const source = join(root, 'examples', name);
  await cp(source, dir, {
    recursive: true,
    filter: (path) =>
      !/[/\\](node_modules|dist)([/\\]|$)|package-lock\.json$/.test(path.slice(source.length)),
  });
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const [dep, spec] of Object.entries(manifest.dependencies)) {
    const packed = /^file:(?:\.\.\/)+\.packs\/(.+\.tgz)$/.exec(spec);
    if (packed) manifest.dependencies[dep] = `file:${join(root, '.packs', packed[1]!)}`;
  }
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    timeout,
  });
  await run('npm', ['run', 'build'], { cwd: dir, timeout });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A running example process. */
export interface ExampleProcess {
  child: ChildProcess;
  lines: string[];
  /** The JSON log line whose `msg` is `msg` (waits for it). */
  waitForLine(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** Starts `node dist/main.js ...args` in `dir` with `env` added to this process's. */
export function startExample(
  dir: string,
  args: string[],
  env: Record<string, string>,
): ExampleProcess {
  const child = spawn(process.execPath, ['dist/main.js', ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    lines,
    async waitForLine(msg, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of lines) {
          try {
            const rec = JSON.parse(line) as Record<string, unknown>;
            if (rec['msg'] === msg) return rec;
          } catch {
            // not JSON (a stack trace): kept in lines
          }
        }
        if (child.exitCode !== null)
          throw new Error(
            `the example exited with ${child.exitCode}:\n${lines.slice(-20).join('\n')}`,
          );
        if (Date.now() > deadline)
          throw new Error(`no "${msg}" in time:\n${lines.slice(-20).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

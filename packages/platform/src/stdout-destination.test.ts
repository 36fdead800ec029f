import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const loggerModule = fileURLToPath(new URL('./logger.js', import.meta.url));

// A child that logs one line, waits until its reader has gone, logs again and exits, as a
// service does on SIGTERM after its log prefixer was killed.
const child = `
  const { createLogger } = await import(${JSON.stringify(loggerModule)});
  const log = createLogger('child');
  log.info('first');
  process.stdin.once('end', () => {
    setTimeout(() => {
      for (let i = 0; i < 100; i++) log.info({ i }, 'after the reader is gone');
      process.exit(0);
    }, 200);
  });
  process.stdin.resume();
`;

describe('stdoutDestination', () => {
  it('lets a process exit after the reader of its stdout is gone', async () => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', child], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [first] = (await once(proc.stdout, 'data')) as [Buffer];
    expect(JSON.parse(first.toString('utf8').split('\n')[0] ?? '')).toMatchObject({
      msg: 'first',
      service: 'child',
    });
    proc.stdout.destroy(); // the reader dies first: its next writes hit EPIPE
    proc.stdin.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(proc, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    // Before the fix pino retried the broken pipe forever and only SIGKILL ended it.
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('writes every line when the reader stays', async () => {
    const proc = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { createLogger } = await import(${JSON.stringify(loggerModule)});
         const log = createLogger('child');
         for (let i = 0; i < 2000; i++) log.info({ i, pad: 'x'.repeat(200) }, 'line');`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await once(proc, 'exit');
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2000);
    expect(JSON.parse(lines[1999] ?? '')).toMatchObject({ i: 1999 });
  });
});

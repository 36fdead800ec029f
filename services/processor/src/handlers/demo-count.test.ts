import { inertContext } from '@conveyor/jobs/testing';
import { describe, expect, it } from '@jest/globals';
import type { JobContext } from '@conveyor/jobs';
import { createLogger } from '@conveyor/platform';
import { demoCountHandler } from './demo-count.js';

type Payload = { to: number; delayMs: number };

function context(
  payload: Payload,
  signal: AbortSignal,
  progress: [number, string | undefined][],
): JobContext<Payload> {
  return {
    job: {
      id: '0123456789abcdef01234567',
      type: 'demo.count',
      attempt: 1,
      maxAttempts: 3,
      owner: 'alice',
      ownerEmail: null,
      priority: 'normal' as JobContext<Payload>['job']['priority'],
      payload,
      createdAt: new Date(),
      scheduleId: null,
      correlationId: 'test',
    },
    signal,
    progress: (percent, message) => progress.push([percent, message]),
    log: createLogger('processor-test', 'silent'),
    ...inertContext(),
  };
}

describe('demo.count handler', () => {
  const handler = demoCountHandler();

  it('is registered for demo.count', () => {
    expect(handler.type.name).toBe('demo.count');
  });

  it('counts to `to`, reporting progress at each step', async () => {
    const progress: [number, string | undefined][] = [];
    const result = await handler.handle(
      context({ to: 4, delayMs: 5 }, new AbortController().signal, progress),
    );
    expect(result).toEqual({ counted: 4 });
    expect(progress).toEqual([
      [25, '1/4'],
      [50, '2/4'],
      [75, '3/4'],
      [100, '4/4'],
    ]);
  });

  it('counts to 0 at once', async () => {
    const progress: [number, string | undefined][] = [];
    expect(
      await handler.handle(
        context({ to: 0, delayMs: 1000 }, new AbortController().signal, progress),
      ),
    ).toEqual({ counted: 0 });
    expect(progress).toEqual([[100, '0/0']]);
  });

  it('rejects with the abort reason while sleeping', async () => {
    const controller = new AbortController();
    const progress: [number, string | undefined][] = [];
    const started = Date.now();
    const run = handler.handle(context({ to: 100, delayMs: 60_000 }, controller.signal, progress));
    setTimeout(() => controller.abort(new Error('job was cancelled')), 20);
    await expect(run).rejects.toThrow('job was cancelled');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(progress).toEqual([]);
  });

  it('stays abortable without a delay', async () => {
    const controller = new AbortController();
    const run = handler.handle(context({ to: 1_000_000, delayMs: 0 }, controller.signal, []));
    setTimeout(() => controller.abort(new Error('timeout')), 5);
    await expect(run).rejects.toThrow('timeout');
  });
});

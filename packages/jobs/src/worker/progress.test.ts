import { describe, expect, it } from '@jest/globals';
import type { Progress } from '@conveyor/contracts';
import { normalizeProgress, ProgressReporter } from './progress.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ProgressReporter', () => {
  it('writes the latest value at most once per interval', async () => {
    const writes: Progress[] = [];
    const r = new ProgressReporter(async (p) => (writes.push(p), true), 50);
    for (let i = 1; i <= 10; i++) r.report(i * 10);
    await tick(20);
    expect(writes).toEqual([{ percent: 100 }]);
    r.report(5, 'again');
    r.report(6, 'again');
    await tick(100);
    expect(writes).toEqual([{ percent: 100 }, { percent: 6, message: 'again' }]);
    // written already, and still handed over: the success keeps the last message
    expect(await r.settle()).toEqual({ percent: 6, message: 'again' });
  });

  it('hands an unwritten last value to settle(), for the outcome write', async () => {
    const writes: Progress[] = [];
    const r = new ProgressReporter(async (p) => (writes.push(p), true), 10_000);
    r.report(10);
    await tick(10);
    r.report(90, 'almost');
    expect(await r.settle()).toEqual({ percent: 90, message: 'almost' });
    expect(writes).toEqual([{ percent: 10 }]);
    r.report(99);
    await tick(10);
    expect(writes).toHaveLength(1); // settled: nothing more is written
  });

  it('stops writing once a write says the attempt no longer owns the job', async () => {
    let calls = 0;
    const r = new ProgressReporter(async () => (calls++, false), 0);
    r.report(1);
    await tick(10);
    r.report(2);
    r.report(3);
    await tick(10);
    await r.flush();
    expect(calls).toBe(1);
  });

  it('writes nothing after stop(), even a pending value', async () => {
    let calls = 0;
    const r = new ProgressReporter(async () => (calls++, true), 50);
    r.report(1);
    r.stop();
    await tick(80);
    await r.flush();
    expect(calls).toBe(0);
  });

  it('normalizes percent and message', () => {
    expect(normalizeProgress(150)).toEqual({ percent: 100 });
    expect(normalizeProgress(-3)).toEqual({ percent: 0 });
    expect(normalizeProgress(Number.NaN)).toEqual({ percent: 0 });
    expect(normalizeProgress(33.3333)).toEqual({ percent: 33.33 });
    expect(normalizeProgress(1, 'x'.repeat(900)).message).toHaveLength(500);
  });
});

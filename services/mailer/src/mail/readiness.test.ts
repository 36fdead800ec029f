import { describe, expect, it } from '@jest/globals';
import { createSmtpCheck } from './readiness.js';

/** A verify() whose outcomes the test scripts, counting calls. */
function scriptedVerify(outcomes: (Error | null)[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    verify: () => {
      const outcome = outcomes[calls++] ?? null;
      return outcome ? Promise.reject(outcome) : Promise.resolve();
    },
  };
}

describe('createSmtpCheck', () => {
  it('caches a verdict for cacheMs, then asks again', async () => {
    let t = 0;
    const target = scriptedVerify([new Error('down'), null]);
    const check = createSmtpCheck(target, { cacheMs: 5_000, now: () => t });
    await expect(check()).rejects.toThrow('down');
    t = 4_999;
    await expect(check()).rejects.toThrow('down');
    expect(target.calls).toBe(1);
    t = 5_000;
    await expect(check()).resolves.toBeUndefined();
    expect(target.calls).toBe(2);
  });

  it('shares one verify between concurrent probes', async () => {
    const target = scriptedVerify([null]);
    const check = createSmtpCheck(target);
    await Promise.all([check(), check(), check()]);
    expect(target.calls).toBe(1);
  });
});

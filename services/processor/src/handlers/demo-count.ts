import { handle, type Handler } from '@conveyor/sdk/worker';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { demoCount } from '@conveyor/contracts';

// Without a delay, give the event loop (heartbeats, cancel broadcasts) a turn this often.
const STEPS_PER_TURN = 1000;

/**
 * The `demo.count` handler: counts from 1 to `to`, waiting `delayMs` before each step and
 * reporting progress after it. The wait is abortable: cancel, timeout or shutdown rejects it
 * with the signal's reason.
 */
export function demoCountHandler(): Handler<typeof demoCount> {
  return handle(demoCount, async (payload, ctx) => {
    const { to, delayMs } = payload;
    const { signal } = ctx;
    for (let i = 1; i <= to; i++) {
      if (delayMs > 0) {
        await sleep(delayMs, undefined, { signal }).catch((err: unknown) => {
          // n.b. timers reject with a generic AbortError; the reason says why (cancel, timeout)
          signal.throwIfAborted();
          throw err;
        });
      } else if (i % STEPS_PER_TURN === 0) {
        await yieldToLoop();
      }
      signal.throwIfAborted();
      ctx.progress((i / to) * 100, `${i}/${to}`);
    }
    if (to === 0) ctx.progress(100, '0/0');
    return { counted: to };
  });
}

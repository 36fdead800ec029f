import type { Logger } from '@conveyor/platform';

/** Told about every pass of a loop (the scheduler metrics implement it). */
export interface LoopObserver {
  pass(loop: string, ok: boolean): void;
}

/** A running timer loop; `stop()` waits for the pass in flight. */
export interface TimerLoop {
  stop(): Promise<void>;
}

/**
 * Runs `pass` again and again; each pass returns how long to sleep before the next. A pass
 * that throws is logged and retried after `errorDelayMs`, so one bad pass never stops the loop.
 */
export function startLoop(
  name: string,
  log: Logger,
  pass: () => Promise<number>,
  observer?: LoopObserver,
  errorDelayMs = 1000,
): TimerLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    timer = null;
    running = (async () => {
      let delay = errorDelayMs;
      try {
        delay = await pass();
        observer?.pass(name, true);
      } catch (err) {
        observer?.pass(name, false);
        log.error({ err, loop: name }, 'scheduler pass failed');
      }
      if (!stopped) timer = setTimeout(tick, Math.max(0, delay));
    })();
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

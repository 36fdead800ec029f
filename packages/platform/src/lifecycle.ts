import type { Logger } from './logger.js';

type Cleanup = { name: string; run: () => Promise<void> | void };

/**
 * Ordered shutdown. Register cleanups in the order they must run (stop intake -> drain
 * in-flight -> close channels -> connection -> database); `close()` runs each once in its own
 * try/catch, reports failures and goes on. Calling `close()` again returns the same promise.
 */
export class Lifecycle {
  private readonly cleanups: Cleanup[] = [];
  private closing: Promise<boolean> | null = null;

  constructor(private readonly log: Logger) {}

  /** Adds a cleanup at the end of the shutdown order. */
  onClose(name: string, run: Cleanup['run']): void {
    this.cleanups.push({ name, run });
  }

  get isClosing(): boolean {
    return this.closing !== null;
  }

  /** Runs every cleanup in order; resolves true when all succeeded. */
  close(): Promise<boolean> {
    this.closing ??= (async () => {
      let ok = true;
      for (const c of this.cleanups) {
        const started = Date.now();
        try {
          await c.run();
          this.log.debug({ step: c.name, ms: Date.now() - started }, 'shutdown step done');
        } catch (err) {
          ok = false;
          this.log.error({ err, step: c.name }, 'shutdown step failed');
        }
      }
      return ok;
    })();
    return this.closing;
  }

  /**
   * On SIGTERM / SIGINT: close and exit 0 (1 if a cleanup failed). A second signal exits
   * at once with 130, for operators who really mean it.
   */
  handleSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.isClosing) {
        this.log.warn({ signal }, 'second signal, exiting now');
        process.exit(130);
      }
      this.log.info({ signal }, 'shutting down');
      void this.close().then((ok) => {
        this.log.info({ ok }, 'shutdown complete');
        process.exit(ok ? 0 : 1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

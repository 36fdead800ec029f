import type { Progress } from '@conveyor/contracts';

/** Stores one progress value; resolves false when the attempt no longer owns the job. */
export type ProgressWriter = (progress: Progress) => Promise<boolean>;

/** Clamps to 0–100 with two decimals and cuts the message to 500 characters. */
export function normalizeProgress(percent: number, message?: string): Progress {
  const p = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
  return {
    percent: Math.round(p * 100) / 100,
    ...(message ? { message: message.slice(0, 500) } : {}),
  };
}

/**
 * Throttles a handler's progress reports: at most one write per `intervalMs`, the latest
 * value wins, and nothing is written once the attempt lost its job (`stop()`, or a write
 * answered false) — a worker that lost its lease never reports stale progress.
 */
export class ProgressReporter {
  private latest: Progress | null = null;
  /** The last value reported, written or not: a success records its message. */
  private lastReported: Progress | null = null;
  private lastWrite = 0;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly write: ProgressWriter,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  report(percent: number, message?: string): void {
    if (this.stopped) return;
    this.latest = normalizeProgress(percent, message);
    this.lastReported = this.latest;
    this.schedule();
  }

  /** Writes nothing more (the lease was lost). */
  stop(): void {
    this.stopped = true;
    this.latest = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.writing || !this.latest || this.stopped) return;
    const wait = Math.max(0, this.lastWrite + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writing = this.writeLatest().finally(() => {
        this.writing = null;
        this.schedule();
      });
    }, wait);
  }

  private async writeLatest(): Promise<void> {
    const p = this.latest;
    if (!p || this.stopped) return;
    this.latest = null;
    this.lastWrite = this.now();
    try {
      if (!(await this.write(p))) this.stop();
    } catch (err) {
      this.onError(err);
    }
  }

  /**
   * Stops reporting: waits for a write in flight and returns the last value reported, written
   * or not (a success records it with the outcome instead of in a write of its own, so its
   * message survives even when an earlier write already stored it).
   */
  async settle(): Promise<Progress | null> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing) await this.writing;
    const last = this.stopped ? null : this.lastReported;
    this.stop();
    return last;
  }

  /** Writes the pending value now (before a failure is recorded), then stops. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing) await this.writing;
    if (this.latest && !this.stopped) await this.writeLatest();
    this.stop();
  }
}

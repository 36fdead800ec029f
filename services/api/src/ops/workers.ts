import type { workerHeartbeat, Envelope } from '@conveyor/contracts';
import type { z } from 'zod';

export type WorkerInfo = z.infer<typeof workerHeartbeat.data> & { lastSeenAt: string };

/**
 * Workers seen recently, from their heartbeats on the events exchange. In memory: every API
 * replica hears every heartbeat, so each has the same picture after one interval.
 */
export class WorkerDirectory {
  private readonly seen = new Map<string, { info: WorkerInfo; at: number }>();

  /** `staleMs` (30000): a worker silent this long is dropped. */
  constructor(
    private readonly staleMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(env: Envelope<z.infer<typeof workerHeartbeat.data>>): void {
    const at = this.now();
    this.seen.set(env.data.workerId, {
      info: { ...env.data, lastSeenAt: new Date(at).toISOString() },
      at,
    });
  }

  /** Live workers, by service then id. */
  list(): WorkerInfo[] {
    const cutoff = this.now() - this.staleMs;
    for (const [id, w] of this.seen) if (w.at < cutoff) this.seen.delete(id);
    return [...this.seen.values()]
      .map((w) => w.info)
      .sort((a, b) => a.service.localeCompare(b.service) || a.workerId.localeCompare(b.workerId));
  }
}

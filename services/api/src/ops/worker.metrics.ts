import { builtinJobTypes } from '@conveyor/contracts';
import { queuesOf } from '@conveyor/jobs/store';
import { Gauge, type Registry } from '@conveyor/platform';
import type { WorkerDirectory } from './workers.js';

/**
 * Fleet-wide worker gauges from the heartbeats the API hears (every API replica hears all of
 * them, so aggregate replicas with `max`): live workers, their summed concurrency and jobs in
 * flight, and the age of the newest heartbeat, per worker service. A service never heard
 * from reads 0 workers and an age counted from this process's start, so "no heartbeat"
 * alerts fire for a service that never came up too.
 */
export function registerWorkerFleetMetrics(
  registry: Registry,
  directory: WorkerDirectory,
  now: () => number = Date.now,
): void {
  const startedAt = now();
  const registers = [registry];
  interface ServiceStats {
    workers: number;
    capacity: number;
    active: number;
    /** ms timestamp of the newest heartbeat; the API's start when none was heard. */
    last: number;
  }
  const perService = (): Map<string, ServiceStats> => {
    const stats = new Map<string, ServiceStats>();
    const entry = (service: string): ServiceStats => {
      let s = stats.get(service);
      if (!s) stats.set(service, (s = { workers: 0, capacity: 0, active: 0, last: -Infinity }));
      return s;
    };
    // n.b. the built-in groups are expected: they read 0 workers before their first heartbeat
    for (const service of queuesOf(builtinJobTypes()).keys()) entry(service);
    for (const w of directory.list()) {
      const s = entry(w.service);
      s.workers += 1;
      s.capacity += w.concurrency;
      s.active += w.active;
      s.last = Math.max(s.last, Date.parse(w.lastSeenAt));
    }
    for (const s of stats.values()) if (s.last === -Infinity) s.last = startedAt;
    return stats;
  };
  const gauge = (name: string, help: string, pick: (s: ServiceStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['worker_service'],
      registers,
      collect() {
        for (const [service, s] of perService()) this.set({ worker_service: service }, pick(s));
      },
    });
  gauge(
    'conveyor_workers',
    'Workers with a heartbeat in the last 30 s, by worker service',
    (s) => s.workers,
  );
  gauge(
    'conveyor_worker_capacity_jobs',
    'Summed concurrency of the live workers, by worker service (from heartbeats)',
    (s) => s.capacity,
  );
  gauge(
    'conveyor_worker_busy_jobs',
    'Jobs in flight on the live workers at their last heartbeat, by worker service',
    (s) => s.active,
  );
  gauge(
    'conveyor_worker_heartbeat_age_seconds',
    'Seconds since the newest heartbeat of any worker of the service (since API start if none)',
    (s) => Math.max(0, (now() - s.last) / 1000),
  );
}

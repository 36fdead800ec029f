import { Gauge, type Logger, type Registry } from '@conveyor/platform';
import type { JobTypeCatalogue } from '../catalogue/catalogue.js';
import type { LimitSettings } from './limit-gate.js';
import { typeOfLimit } from './limit-sweep.js';
import type { LimitStore } from './limit-store.js';

interface Snapshot {
  /** `${queue}|${reason}` -> held jobs. */
  held: Map<string, number>;
  /** `${type}|${limit}` -> value (concurrency: jobs; rate: starts per second). */
  limits: Map<string, number>;
  /** type -> jobs holding a slot of its type-wide concurrency limit. */
  running: Map<string, number>;
}

/**
 * Fleet-wide gauges of limits and held jobs, read from the store at scrape time (cached for
 * `cacheMs`, default 5000): registered by the scheduler only; with N replicas aggregate with
 * `max`. Labels are bounded: queue, type, and the kind of limit, never an owner or a key.
 */
export function registerLimitMetrics(
  registry: Registry,
  deps: { store: LimitStore; settings: LimitSettings; catalogue: JobTypeCatalogue; log: Logger },
  cacheMs = 5000,
): void {
  let cached: { at: number; snapshot: Promise<Snapshot> } | null = null;
  async function read(): Promise<Snapshot> {
    const [holds, records] = await Promise.all([deps.store.holdCounts(), deps.catalogue.records()]);
    const queueOf = new Map(records.map((r) => [r.entry.name, r.entry.queue]));
    const held = new Map<string, number>();
    for (const [key, n] of holds) {
      const [kind, rest = ''] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      const queue = kind === 'fair' ? rest : (queueOf.get(typeOfLimit(rest)) ?? 'unknown');
      const k = `${queue}|${kind === 'fair' ? 'fair' : 'limit'}`;
      held.set(k, (held.get(k) ?? 0) + n);
    }
    const limits = new Map<string, number>();
    const running = new Map<string, number>();
    for (const r of records) {
      const type = r.entry.name;
      const l = await deps.settings.effective(type, r.entry.limits);
      if (!l) continue;
      const set = (name: string, v: number | undefined) => {
        if (v !== undefined) limits.set(`${type}|${name}`, v);
      };
      const perSecond = (rate?: { limit: number; periodMs: number }) =>
        rate ? (rate.limit * 1000) / rate.periodMs : undefined;
      set('concurrency', l.concurrency);
      set('rate_per_second', perSecond(l.rate));
      set('owner_concurrency', l.perOwner?.concurrency);
      set('owner_rate_per_second', perSecond(l.perOwner?.rate));
      set('key_concurrency', l.perKey?.concurrency);
      set('key_rate_per_second', perSecond(l.perKey?.rate));
      if (l.concurrency !== undefined) running.set(type, await deps.store.running(`type:${type}`));
    }
    return { held, limits, running };
  }
  async function snapshot(): Promise<Snapshot | null> {
    if (!cached || Date.now() - cached.at >= cacheMs) cached = { at: Date.now(), snapshot: read() };
    const mine = cached;
    try {
      return await mine.snapshot;
    } catch (err) {
      if (cached === mine) cached = null;
      deps.log.warn({ err: (err as Error).message }, 'limit metrics: store read failed');
      return null;
    }
  }
  const registers = [registry];
  new Gauge({
    name: 'conveyor_jobs_held',
    help: 'Queued jobs waiting in the store rather than the broker, by queue and reason: fair (waiting for their turn in fair dispatch) or limit (a concurrency limit is full)',
    labelNames: ['queue', 'reason'],
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return;
      this.reset();
      for (const [k, n] of s.held) {
        const [queue, reason] = k.split('|') as [string, string];
        this.set({ queue, reason }, n);
      }
    },
  });
  new Gauge({
    name: 'conveyor_job_type_limit',
    help: 'Fleet-wide limits in effect per job type: concurrency (jobs), rate_per_second, and the per-owner and per-key ones (owner_*, key_*)',
    labelNames: ['type', 'limit'],
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return;
      this.reset();
      for (const [k, v] of s.limits) {
        const [type, limit] = k.split('|') as [string, string];
        this.set({ type, limit }, v);
      }
    },
  });
  new Gauge({
    name: 'conveyor_job_type_limit_running',
    help: "Jobs holding a slot of their type's fleet-wide concurrency limit",
    labelNames: ['type'],
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return;
      this.reset();
      for (const [type, n] of s.running) this.set({ type }, n);
    },
  });
}

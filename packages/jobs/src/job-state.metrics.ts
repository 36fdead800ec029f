import type { Connection } from 'mongoose';
import { PRIORITIES } from '@conveyor/contracts';
import { Counter, Gauge, type Logger, type Registry } from '@conveyor/platform';
import { jobModel } from './job.model.js';
import { scheduleModel } from './schedules/schedule.model.js';
import { jobTypeModel } from './catalogue/job-type.model.js';

/** Job states that still wait for work; terminal states are counted by counters instead. */
const OPEN_STATES = ['scheduled', 'queued', 'running'] as const;

/** One read of the store, shared by every gauge of a scrape. */
interface Snapshot {
  /** `${status}|${type}|${priority}` -> jobs. */
  counts: Map<string, number>;
  /** type -> queuedAt of the oldest queued job. */
  oldestQueued: Map<string, Date>;
  outboxBacklog: number;
  outboxOldest: Date | null;
  schedulesEnabled: number;
  schedulesOverdue: number;
  /** The catalogue's types -> when a worker of the type was last heard from (or registered). */
  typesSeen: Map<string, Date>;
}

export interface JobStateMetricsOptions {
  /** Serve a snapshot this young instead of reading again (default 5000 ms). */
  cacheMs?: number;
  /**
   * A schedule whose next fire time is further in the past than this is overdue
   * (default 60000 ms): the cron runner should have fired it.
   */
  overdueAfterMs?: number;
  /** A queued job unpublished this long is outbox backlog (default 2000 ms). */
  outboxGraceMs?: number;
  now?: () => number;
}

/**
 * Fleet-wide gauges read from the store at scrape time: open jobs by status, type and
 * priority, the oldest queued job's age per type, the outbox backlog and overdue schedules.
 * They describe the whole system, not this process, so exactly one kind of service registers
 * them (the scheduler); with N replicas, aggregate with `max`, never `sum`. Reads are cached
 * for `cacheMs` so frequent scrapes cost one aggregation per interval. Every known type and
 * priority is reported (0 when empty) so a drained queue reads 0, not "no data".
 */
export function registerJobStateMetrics(
  registry: Registry,
  conn: Connection,
  log: Logger,
  opts: JobStateMetricsOptions = {},
): void {
  const cacheMs = opts.cacheMs ?? 5000;
  const overdueAfterMs = opts.overdueAfterMs ?? 60_000;
  const outboxGraceMs = opts.outboxGraceMs ?? 2000;
  const now = opts.now ?? Date.now;
  const jobs = jobModel(conn);
  const schedules = scheduleModel(conn);
  const jobTypes = jobTypeModel(conn);
  const registers = [registry];
  const readErrors = new Counter({
    name: 'conveyor_job_state_read_errors_total',
    help: 'Scrapes whose store read for the job-state gauges failed (the gauges kept their last values)',
    registers,
  });
  let cached: { at: number; snapshot: Promise<Snapshot> } | null = null;

  async function read(): Promise<Snapshot> {
    const t = now();
    const [groups, oldest, outbox, schedulesEnabled, schedulesOverdue, catalogue] =
      await Promise.all([
        jobs.aggregate<{ _id: { status: string; type: string; priority: string }; n: number }>([
          { $match: { status: { $in: OPEN_STATES } } },
          {
            $group: {
              _id: { status: '$status', type: '$type', priority: '$priority' },
              n: { $sum: 1 },
            },
          },
        ]),
        jobs.aggregate<{ _id: string; oldest: Date }>([
          { $match: { status: 'queued' } },
          { $group: { _id: '$type', oldest: { $min: '$queuedAt' } } },
        ]),
        jobs.aggregate<{ _id: null; n: number; oldest: Date }>([
          {
            $match: {
              status: 'queued',
              publishedAt: null,
              queuedAt: { $lt: new Date(t - outboxGraceMs) },
              // n.b. jobs held by a limit or fair dispatch are waiting on purpose
              holdKey: null,
            },
          },
          { $group: { _id: null, n: { $sum: 1 }, oldest: { $min: '$queuedAt' } } },
        ]),
        schedules.countDocuments({ enabled: true }),
        schedules.countDocuments({
          enabled: true,
          nextFireAt: { $lt: new Date(t - overdueAfterMs) },
        }),
        jobTypes
          .find({}, { _id: 1, lastSeenAt: 1, registeredAt: 1 })
          .lean<{ _id: string; lastSeenAt: Date | null; registeredAt: Date }[]>(),
      ]);
    const typesSeen = new Map<string, Date>();
    for (const c of catalogue) typesSeen.set(c._id, new Date(c.lastSeenAt ?? c.registeredAt));
    const counts = new Map<string, number>();
    for (const g of groups) counts.set(`${g._id.status}|${g._id.type}|${g._id.priority}`, g.n);
    const oldestQueued = new Map<string, Date>();
    for (const o of oldest) if (o.oldest) oldestQueued.set(o._id, new Date(o.oldest));
    return {
      counts,
      oldestQueued,
      outboxBacklog: outbox[0]?.n ?? 0,
      outboxOldest: outbox[0]?.oldest ? new Date(outbox[0].oldest) : null,
      schedulesEnabled,
      schedulesOverdue,
      typesSeen,
    };
  }

  /** The current snapshot, or null when the store read failed (gauges keep their values). */
  async function snapshot(): Promise<Snapshot | null> {
    if (!cached || now() - cached.at >= cacheMs) cached = { at: now(), snapshot: read() };
    const mine = cached;
    try {
      return await mine.snapshot;
    } catch (err) {
      if (cached === mine) cached = null;
      readErrors.inc();
      log.warn({ err: (err as Error).message }, 'job-state metrics: store read failed');
      return null;
    }
  }

  const types = (s: Snapshot) => new Set<string>([...s.typesSeen.keys(), ...s.oldestQueued.keys()]);

  new Gauge({
    name: 'conveyor_jobs',
    help: 'Jobs not finished yet, by status (scheduled, queued, running), type and priority; read from the store',
    labelNames: ['status', 'type', 'priority'],
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return;
      const seen = new Set<string>(s.counts.keys());
      for (const status of OPEN_STATES)
        for (const type of s.typesSeen.keys())
          for (const priority of PRIORITIES) seen.add(`${status}|${type}|${priority}`);
      for (const key of seen) {
        const [status, type, priority] = key.split('|') as [string, string, string];
        this.set({ status, type, priority }, s.counts.get(key) ?? 0);
      }
    },
  });
  new Gauge({
    name: 'conveyor_job_oldest_queued_age_seconds',
    help: 'Age of the oldest queued job (since it was queued), by type; 0 when none waits; read from the store',
    labelNames: ['type'],
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return;
      for (const type of types(s)) {
        const oldest = s.oldestQueued.get(type);
        this.set({ type }, oldest ? Math.max(0, (now() - oldest.getTime()) / 1000) : 0);
      }
    },
  });
  new Gauge({
    name: 'conveyor_job_type_last_seen_age_seconds',
    help: 'Seconds since a worker running the type was last heard from (since registration when none ever was), by type; read from the catalogue',
    labelNames: ['type'],
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return;
      for (const [type, at] of s.typesSeen)
        this.set({ type }, Math.max(0, (now() - at.getTime()) / 1000));
    },
  });
  new Gauge({
    name: 'conveyor_outbox_backlog_jobs',
    help: 'Queued jobs whose dispatch is not confirmed published after the outbox grace; read from the store',
    registers,
    async collect() {
      const s = await snapshot();
      if (s) this.set(s.outboxBacklog);
    },
  });
  new Gauge({
    name: 'conveyor_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished queued job; 0 when the outbox is empty; read from the store',
    registers,
    async collect() {
      const s = await snapshot();
      if (s) this.set(s.outboxOldest ? Math.max(0, (now() - s.outboxOldest.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'conveyor_schedules_enabled',
    help: 'Enabled schedules; read from the store',
    registers,
    async collect() {
      const s = await snapshot();
      if (s) this.set(s.schedulesEnabled);
    },
  });
  new Gauge({
    name: 'conveyor_schedules_overdue',
    help: 'Enabled schedules whose next fire time passed more than a minute ago (not fired); read from the store',
    registers,
    async collect() {
      const s = await snapshot();
      if (s) this.set(s.schedulesOverdue);
    },
  });
}

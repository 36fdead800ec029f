import type { JobRepository } from '@conveyor/jobs';
import { CategorySums, formatNumber, type ReportData } from './report-data.js';

const DAY_MS = 24 * 3600_000;
const MAX_TYPES = 50;

interface TypeStats {
  total: number;
  succeeded: number;
  failed: number;
  runMs: number;
  timed: number;
}

/**
 * Report data of an owner's jobs created in the last `periodDays` days (up to `now`): the
 * figures by outcome, a table by job type, and a bar chart of jobs per day. The jobs are read
 * as a cursor over the owner's index, so memory stays bounded by days and types.
 */
export async function reportFromJobStats(
  title: string,
  periodDays: number,
  deps: {
    jobs: JobRepository;
    owner: string;
    signal: AbortSignal;
    now?: Date;
    excludeJobId?: string;
  },
): Promise<ReportData> {
  const now = deps.now ?? new Date();
  const from = new Date(now.getTime() - periodDays * DAY_MS);
  const days = new CategorySums(periodDays + 1);
  // n.b. every day of the period gets its bar, even one without jobs
  for (let d = 0; d < periodDays; d++) {
    days.add(new Date(from.getTime() + (d + 1) * DAY_MS).toISOString().slice(0, 10), 0);
  }
  const byType = new Map<string, TypeStats>();
  const counts = { total: 0, succeeded: 0, failed: 0, cancelled: 0, pending: 0 };
  const cursor = deps.jobs.queries.ownerJobsCreatedBetween(deps.owner, from, now);
  for await (const job of cursor) {
    deps.signal.throwIfAborted();
    if (job._id.toHexString() === deps.excludeJobId) continue;
    counts.total++;
    if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled')
      counts[job.status]++;
    else counts.pending++;
    days.add(job.createdAt.toISOString().slice(0, 10), 1);
    const key = byType.has(job.type) || byType.size < MAX_TYPES ? job.type : 'other';
    const t = byType.get(key) ?? { total: 0, succeeded: 0, failed: 0, runMs: 0, timed: 0 };
    t.total++;
    if (job.status === 'succeeded') t.succeeded++;
    if (job.status === 'failed') t.failed++;
    if (job.startedAt && job.finishedAt) {
      t.runMs += job.finishedAt.getTime() - job.startedAt.getTime();
      t.timed++;
    }
    byType.set(key, t);
  }
  const finished = counts.succeeded + counts.failed;
  const series = days.series();
  return {
    title,
    subtitle: `Jobs of ${deps.owner} created ${from.toISOString().slice(0, 10)} to ${now.toISOString().slice(0, 10)} (${periodDays} days)`,
    figures: [
      { label: 'Jobs', value: String(counts.total) },
      { label: 'Succeeded', value: String(counts.succeeded) },
      { label: 'Failed', value: String(counts.failed) },
      { label: 'Cancelled', value: String(counts.cancelled) },
      { label: 'Pending', value: String(counts.pending) },
      {
        label: 'Success rate',
        value: finished > 0 ? `${formatNumber((100 * counts.succeeded) / finished)}%` : '-',
      },
    ],
    chart: {
      type: 'bar',
      title: 'jobs per day',
      labels: series.labels.map((l) => l.slice(5)),
      values: series.values,
    },
    table: {
      title: 'By job type',
      columns: ['type', 'jobs', 'succeeded', 'failed', 'mean run ms'],
      rows: [...byType.entries()].map(([type, t]) => [
        type,
        String(t.total),
        String(t.succeeded),
        String(t.failed),
        t.timed > 0 ? formatNumber(Math.round(t.runMs / t.timed)) : '-',
      ]),
      omitted: 0,
    },
    records: counts.total,
  };
}

import { quantile, rateBy, type DashboardSpec } from './panels.js';

/** Promotion, cron fires, loop liveness, outbox, reaper and purge. */
export const scheduler: DashboardSpec = {
  uid: 'conveyor-scheduler',
  title: 'Conveyor / Scheduler',
  description: 'Is the scheduler promoting on time, firing every schedule, draining the outbox.',
  rows: [
    {
      title: 'Promotion',
      panels: [
        {
          title: 'Jobs promoted',
          description: 'Delayed jobs and retries queued per second (all replicas).',
          unit: 'ops',
          queries: [
            {
              expr: 'sum(rate(conveyor_scheduler_promoted_total[$__rate_interval]))',
              legend: 'promoted',
            },
          ],
        },
        {
          title: 'Promotion lag',
          description: 'How late a due job was queued (promotion time minus runAt).',
          unit: 's',
          queries: [
            { expr: quantile(0.5, 'conveyor_scheduler_promotion_lag_seconds'), legend: 'p50' },
            { expr: quantile(0.99, 'conveyor_scheduler_promotion_lag_seconds'), legend: 'p99' },
          ],
        },
        {
          title: 'Loop passes',
          description: 'Passes per second of each scheduler loop, by result.',
          unit: 'ops',
          queries: [
            {
              expr: rateBy('loop, result', 'conveyor_scheduler_loop_passes_total'),
              legend: '{{loop}} {{result}}',
            },
          ],
        },
        {
          title: 'Since last good pass',
          description: 'Seconds since any replica completed a pass of each loop without an error.',
          unit: 's',
          queries: [
            {
              expr: 'time() - max by (loop) (conveyor_scheduler_loop_last_success_timestamp_seconds)',
              legend: '{{loop}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Schedules',
      panels: [
        {
          title: 'Schedule fires',
          description:
            'Jobs created by cron fires, fire times dropped by the misfire policy, fires skipped for overlap.',
          unit: 'short',
          queries: [
            {
              expr: 'sum(increase(conveyor_scheduler_fires_total[$__rate_interval]))',
              legend: 'fired',
            },
            {
              expr: 'sum(increase(conveyor_scheduler_misfires_total[$__rate_interval]))',
              legend: 'misfired',
            },
            {
              expr: 'sum(increase(conveyor_scheduler_overlaps_skipped_total[$__rate_interval]))',
              legend: 'overlap skipped',
            },
          ],
        },
        {
          title: 'Schedules enabled and overdue',
          description:
            'Enabled schedules, and those whose fire time passed over a minute ago (from the store).',
          unit: 'short',
          queries: [
            { expr: 'max(conveyor_schedules_enabled)', legend: 'enabled' },
            { expr: 'max(conveyor_schedules_overdue)', legend: 'overdue' },
          ],
        },
      ],
    },
    {
      title: 'Outbox and maintenance',
      panels: [
        {
          title: 'Outbox backlog',
          description: 'Queued jobs unpublished past the grace period, and the oldest one’s age.',
          unit: 'short',
          queries: [{ expr: 'max(conveyor_outbox_backlog_jobs)', legend: 'backlog' }],
        },
        {
          title: 'Oldest unpublished job',
          description: 'Age of the oldest queued job without a confirmed dispatch.',
          unit: 's',
          queries: [{ expr: 'max(conveyor_outbox_oldest_age_seconds)', legend: 'age' }],
        },
        {
          title: 'Sweeper publishes',
          description:
            'Jobs published by the outbox sweeper and re-dispatched after a lost message.',
          unit: 'ops',
          queries: [
            {
              expr: 'sum(rate(conveyor_scheduler_outbox_published_total[$__rate_interval]))',
              legend: 'outbox',
            },
            {
              expr: 'sum(rate(conveyor_scheduler_redispatched_total[$__rate_interval]))',
              legend: 'redispatched',
            },
          ],
        },
        {
          title: 'Reaped and purged',
          description:
            'Running jobs whose lease expired (re-queued) and finished jobs deleted by retention.',
          unit: 'short',
          queries: [
            {
              expr: 'sum(increase(conveyor_scheduler_jobs_reaped_total[$__rate_interval]))',
              legend: 'reaped',
            },
            {
              expr: 'sum(increase(conveyor_scheduler_jobs_purged_total[$__rate_interval]))',
              legend: 'purged',
            },
          ],
        },
      ],
    },
  ],
};

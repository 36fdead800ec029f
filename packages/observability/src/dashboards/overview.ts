import { quantile, rateBy, type DashboardSpec } from './panels.js';

/** Throughput, outcomes, latency percentiles, queue depth and age, API RED, service health. */
export const overview: DashboardSpec = {
  uid: 'conveyor-overview',
  title: 'Conveyor / Overview',
  description: 'Is Conveyor doing its work: throughput, failures, latency and backlog.',
  rows: [
    {
      title: 'Throughput and outcomes',
      panels: [
        {
          title: 'Attempts finished by outcome',
          description: 'Job attempts per second, by outcome (retry = failed and scheduled again).',
          unit: 'ops',
          queries: [
            { expr: rateBy('outcome', 'conveyor_job_attempts_total'), legend: '{{outcome}}' },
          ],
        },
        {
          title: 'Jobs submitted',
          description: 'Jobs created through the API per second, by type.',
          unit: 'ops',
          queries: [{ expr: rateBy('type', 'conveyor_jobs_submitted_total'), legend: '{{type}}' }],
        },
        {
          title: 'Failure ratio',
          description:
            'Share of jobs that finished failed (final, no retry left) among all that finished.',
          unit: 'percentunit',
          queries: [
            {
              expr: 'sum(rate(conveyor_job_attempts_total{outcome="failed"}[$__rate_interval])) / sum(rate(conveyor_job_attempts_total{outcome=~"succeeded|failed"}[$__rate_interval]))',
              legend: 'failed',
            },
          ],
        },
        {
          title: 'Errors by code',
          description:
            'Failed attempts per second by error code and whether the code is retryable.',
          unit: 'ops',
          queries: [
            {
              expr: rateBy('code, retryable', 'conveyor_job_errors_total'),
              legend: '{{code}} (retryable={{retryable}})',
            },
          ],
        },
      ],
    },
    {
      title: 'Latency',
      panels: [
        {
          title: 'Wait: due to first start',
          description:
            'Time from submit (or runAt) to the first attempt starting, percentiles over all types.',
          unit: 's',
          queries: [
            { expr: quantile(0.5, 'conveyor_job_wait_seconds'), legend: 'p50' },
            { expr: quantile(0.95, 'conveyor_job_wait_seconds'), legend: 'p95' },
            { expr: quantile(0.99, 'conveyor_job_wait_seconds'), legend: 'p99' },
          ],
        },
        {
          title: 'Turnaround: submit to final outcome',
          description: 'Time from submit to succeeded / failed / cancelled, retries included.',
          unit: 's',
          queries: [
            { expr: quantile(0.5, 'conveyor_job_turnaround_seconds'), legend: 'p50' },
            { expr: quantile(0.95, 'conveyor_job_turnaround_seconds'), legend: 'p95' },
            { expr: quantile(0.99, 'conveyor_job_turnaround_seconds'), legend: 'p99' },
          ],
        },
      ],
    },
    {
      title: 'Backlog',
      panels: [
        {
          title: 'Open jobs by status (store)',
          description:
            'Scheduled, queued and running jobs, read from the store by the scheduler (max over replicas).',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (status) (max by (status, type, priority) (conveyor_jobs))',
              legend: '{{status}}',
            },
          ],
        },
        {
          title: 'Oldest queued job',
          description: 'Age of the oldest job waiting in the queue, any type.',
          unit: 's',
          queries: [{ expr: 'max(conveyor_job_oldest_queued_age_seconds)', legend: 'oldest' }],
        },
        {
          title: 'Broker: messages ready per queue',
          description: "RabbitMQ's own count of ready messages in Conveyor's queues.",
          unit: 'short',
          queries: [
            {
              expr: 'sum by (queue) (rabbitmq_detailed_queue_messages_ready{queue=~"$prefix\\\\..*"})',
              legend: '{{queue}}',
            },
          ],
        },
        {
          title: 'Dead-letter queue',
          description: 'Messages in the dead-letter queue (poison or past the delivery limit).',
          unit: 'short',
          kind: 'stat',
          width: 6,
          queries: [
            { expr: 'sum(rabbitmq_detailed_queue_messages{queue="$prefix.dead"})', legend: 'dead' },
          ],
        },
        {
          title: 'Outbox backlog',
          description: 'Queued jobs not yet confirmed published after the grace period.',
          unit: 'short',
          kind: 'stat',
          width: 6,
          queries: [{ expr: 'max(conveyor_outbox_backlog_jobs)', legend: 'unpublished' }],
        },
      ],
    },
    {
      title: 'API and services',
      panels: [
        {
          title: 'API requests by route and status',
          description: 'HTTP requests per second by route pattern and status.',
          unit: 'reqps',
          queries: [
            {
              expr: rateBy('route, status', 'conveyor_http_requests_total'),
              legend: '{{route}} {{status}}',
            },
          ],
        },
        {
          title: 'API latency p95 by route',
          description: 'The 95th percentile time to answer, by route pattern.',
          unit: 's',
          queries: [
            {
              expr: quantile(0.95, 'conveyor_http_request_duration_seconds', 'route'),
              legend: '{{route}}',
            },
          ],
        },
        {
          title: 'Targets up',
          description: 'Scrape health of every service and the broker (1 up, 0 down).',
          unit: 'short',
          width: 24,
          queries: [
            {
              expr: 'up{job=~"conveyor-api|conveyor-mailer|conveyor-processor|conveyor-scheduler|conveyor-files|rabbitmq"}',
              legend: '{{job}} {{instance}}',
            },
          ],
        },
      ],
    },
  ],
};

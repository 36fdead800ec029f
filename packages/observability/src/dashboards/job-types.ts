import { QueryVariableBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, quantile, rateBy, type DashboardSpec } from './panels.js';

const T = '{type=~"$type"}';

/** Per job type: outcomes, errors, retries, latency by priority, backlog, webhooks, reports. */
export const jobTypes: DashboardSpec = {
  uid: 'conveyor-job-types',
  title: 'Conveyor / Job types',
  description:
    'What each job type does: outcomes, errors by code, retries, latency per priority, backlog; webhook deliveries and reports.',
  variables: [
    new QueryVariableBuilder('type')
      .label('Job type')
      .datasource(DATASOURCE)
      .query('label_values(conveyor_jobs, type)')
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .multi(true)
      .includeAll(true)
      .allValue('.+'),
  ],
  rows: [
    {
      title: 'Outcomes',
      panels: [
        {
          title: 'Attempts by type and outcome',
          description: 'Attempts per second.',
          unit: 'ops',
          queries: [
            {
              expr: rateBy('type, outcome', `conveyor_job_attempts_total${T}`),
              legend: '{{type}} {{outcome}}',
            },
          ],
        },
        {
          title: 'Retries scheduled',
          description: 'Attempts that failed with a retryable error and were scheduled again.',
          unit: 'ops',
          queries: [
            {
              expr: rateBy('type', 'conveyor_job_attempts_total{type=~"$type",outcome="retry"}'),
              legend: '{{type}}',
            },
          ],
        },
        {
          title: 'Errors by type and code',
          description: 'Failed attempts by error code; retryable=false ends the job at once.',
          unit: 'ops',
          queries: [
            {
              expr: rateBy('type, code, retryable', `conveyor_job_errors_total${T}`),
              legend: '{{type}} {{code}} retryable={{retryable}}',
            },
          ],
        },
        {
          title: 'Attempt duration p95',
          description: 'Claim to recorded outcome, 95th percentile.',
          unit: 's',
          queries: [
            {
              expr: quantile(0.95, 'conveyor_job_attempt_duration_seconds', 'type', T),
              legend: '{{type}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Latency by priority',
      panels: [
        {
          title: 'Wait p95 by type and priority',
          description: 'Due to first start, 95th percentile.',
          unit: 's',
          queries: [
            {
              expr: quantile(0.95, 'conveyor_job_wait_seconds', 'type, priority', T),
              legend: '{{type}} {{priority}}',
            },
          ],
        },
        {
          title: 'Turnaround p95 by type and final status',
          description: 'Submit to final outcome, 95th percentile.',
          unit: 's',
          queries: [
            {
              expr: quantile(0.95, 'conveyor_job_turnaround_seconds', 'type, status', T),
              legend: '{{type}} {{status}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Backlog',
      panels: [
        {
          title: 'Queued by type and priority',
          description: 'Jobs waiting for a worker, from the store.',
          unit: 'short',
          queries: [
            {
              expr: 'max by (type, priority) (conveyor_jobs{status="queued",type=~"$type"})',
              legend: '{{type}} {{priority}}',
            },
          ],
        },
        {
          title: 'Scheduled by type',
          description: 'Delayed jobs and retries waiting for their runAt, from the store.',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (type) (max by (type, priority) (conveyor_jobs{status="scheduled",type=~"$type"}))',
              legend: '{{type}}',
            },
          ],
        },
        {
          title: 'Running by type',
          description: 'Jobs claimed by a worker, from the store.',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (type) (max by (type, priority) (conveyor_jobs{status="running",type=~"$type"}))',
              legend: '{{type}}',
            },
          ],
        },
        {
          title: 'Oldest queued job by type',
          description: 'Age of the oldest queued job of each type.',
          unit: 's',
          queries: [
            {
              expr: `max by (type) (conveyor_job_oldest_queued_age_seconds${T})`,
              legend: '{{type}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Webhooks and reports (processor)',
      panels: [
        {
          title: 'Webhook deliveries by result',
          description:
            'webhook.deliver attempts per second by receiver status class, or timeout / connection / dns / refused / busy.',
          unit: 'ops',
          queries: [
            {
              expr: rateBy('result', 'conveyor_webhook_deliveries_total'),
              legend: '{{result}}',
            },
          ],
        },
        {
          title: 'Webhook POST latency p95',
          description: 'One POST, request to answer, 95th percentile by result.',
          unit: 's',
          queries: [
            {
              expr: quantile(0.95, 'conveyor_webhook_delivery_duration_seconds', 'result'),
              legend: '{{result}}',
            },
          ],
        },
        {
          title: 'Reports generated',
          description: 'Report PDFs stored per second, by source; and their bytes per second.',
          unit: 'ops',
          queries: [
            { expr: rateBy('source', 'conveyor_reports_generated_total'), legend: '{{source}}' },
            { expr: 'sum(rate(conveyor_report_bytes_total[$__rate_interval]))', legend: 'bytes/s' },
          ],
        },
      ],
    },
  ],
};

import { quantile, rateBy, type DashboardSpec } from './panels.js';

/** How much mail went out, what the SMTP server answered, why sends failed. */
export const mail: DashboardSpec = {
  uid: 'conveyor-mail',
  title: 'Conveyor / Mail',
  description: 'Mail sent, SMTP replies by class, failures by reason, send latency, mail backlog.',
  rows: [
    {
      title: 'Delivery',
      panels: [
        {
          title: 'Messages sent by template',
          description: 'Messages the SMTP server accepted per second (none = email.send).',
          unit: 'ops',
          queries: [
            { expr: rateBy('template', 'conveyor_mail_sent_total'), legend: '{{template}}' },
          ],
        },
        {
          title: 'SMTP replies by class',
          description:
            '2xx accepted, 4xx deferred (retried), 5xx rejected (final), none = no reply.',
          unit: 'ops',
          queries: [
            { expr: rateBy('class', 'conveyor_mail_smtp_replies_total'), legend: '{{class}}' },
          ],
        },
        {
          title: 'Reject ratio',
          description: 'Share of sends the server refused for good (5xx).',
          unit: 'percentunit',
          queries: [
            {
              expr: 'sum(rate(conveyor_mail_smtp_replies_total{class="5xx"}[$__rate_interval])) / sum(rate(conveyor_mail_smtp_replies_total[$__rate_interval]))',
              legend: '5xx',
            },
          ],
        },
        {
          title: 'Failed sends by reason',
          description: 'Failed send attempts by template and job error code.',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (template, reason) (increase(conveyor_mail_failed_total[$__rate_interval]))',
              legend: '{{template}} {{reason}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Latency and backlog',
      panels: [
        {
          title: 'SMTP send time',
          description: 'Time to hand one message to the server (after the rate limiter).',
          unit: 's',
          queries: [
            { expr: quantile(0.5, 'conveyor_mail_send_duration_seconds'), legend: 'p50' },
            { expr: quantile(0.95, 'conveyor_mail_send_duration_seconds'), legend: 'p95' },
          ],
        },
        {
          title: 'Mail jobs queued',
          description: 'email.* jobs waiting for the mailer, from the store.',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (type) (max by (type, priority) (conveyor_jobs{status="queued",type=~"email\\\\..+"}))',
              legend: '{{type}}',
            },
          ],
        },
        {
          title: 'Duplicates skipped and record errors',
          description:
            'Attempts that found their message already sent; sends whose delivery record failed.',
          unit: 'short',
          queries: [
            {
              expr: 'sum(increase(conveyor_mail_duplicates_skipped_total[$__rate_interval]))',
              legend: 'duplicates skipped',
            },
            {
              expr: 'sum(increase(conveyor_mail_delivery_record_errors_total[$__rate_interval]))',
              legend: 'record errors',
            },
          ],
        },
        {
          title: 'Mail turnaround p95',
          description: 'Submit to final outcome of email jobs, 95th percentile, by status.',
          unit: 's',
          queries: [
            {
              expr: quantile(
                0.95,
                'conveyor_job_turnaround_seconds',
                'type, status',
                '{type=~"email\\\\..+"}',
              ),
              legend: '{{type}} {{status}}',
            },
          ],
        },
      ],
    },
  ],
};

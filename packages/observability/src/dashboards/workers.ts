import { quantile, rateBy, type DashboardSpec } from './panels.js';

/** Are workers alive, how busy are they, what do the processes and the broker queues look like. */
export const workers: DashboardSpec = {
  uid: 'conveyor-workers',
  title: 'Conveyor / Workers',
  description:
    'Worker liveness from heartbeats, busy vs capacity, per-process load, queue consumers.',
  rows: [
    {
      title: 'Fleet (from heartbeats)',
      panels: [
        {
          title: 'Live workers',
          description:
            'Workers with a heartbeat in the last 30 s, by worker service (max over API replicas).',
          unit: 'short',
          queries: [
            { expr: 'max by (worker_service) (conveyor_workers)', legend: '{{worker_service}}' },
          ],
        },
        {
          title: 'Newest heartbeat age',
          description: 'Seconds since any worker of the service was heard (min over API replicas).',
          unit: 's',
          queries: [
            {
              expr: 'min by (worker_service) (conveyor_worker_heartbeat_age_seconds)',
              legend: '{{worker_service}}',
            },
          ],
        },
        {
          title: 'Busy vs capacity',
          description: 'Jobs in flight and summed concurrency of the live workers.',
          unit: 'short',
          queries: [
            {
              expr: 'max by (worker_service) (conveyor_worker_busy_jobs)',
              legend: '{{worker_service}} busy',
            },
            {
              expr: 'max by (worker_service) (conveyor_worker_capacity_jobs)',
              legend: '{{worker_service}} capacity',
            },
          ],
        },
        {
          title: 'Utilisation',
          description: 'Jobs in flight over capacity, per worker service.',
          unit: 'percentunit',
          queries: [
            {
              expr: 'max by (worker_service) (conveyor_worker_busy_jobs) / max by (worker_service) (conveyor_worker_capacity_jobs)',
              legend: '{{worker_service}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Processes',
      panels: [
        {
          title: 'Jobs in flight per process',
          description: 'Running jobs and the CONCURRENCY limit of each worker process.',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (service, instance) (conveyor_jobs_active)',
              legend: '{{service}} {{instance}}',
            },
            {
              expr: 'sum by (service, instance) (conveyor_worker_concurrency)',
              legend: '{{service}} {{instance}} limit',
            },
          ],
        },
        {
          title: 'Heartbeats published',
          description: 'Heartbeats per second sent by each worker process.',
          unit: 'ops',
          queries: [
            {
              expr: rateBy('service, instance', 'conveyor_worker_heartbeats_total'),
              legend: '{{service}} {{instance}}',
            },
          ],
        },
        {
          title: 'Claims refused',
          description:
            'Dispatches whose claim was refused (duplicate, stale or cancelled job), by type.',
          unit: 'ops',
          queries: [
            { expr: rateBy('type', 'conveyor_job_claims_rejected_total'), legend: '{{type}}' },
          ],
        },
        {
          title: 'CPU per process',
          description: 'CPU seconds per second of every Conveyor process.',
          unit: 'percentunit',
          queries: [
            {
              expr: rateBy('service, instance', 'conveyor_process_cpu_seconds_total'),
              legend: '{{service}}',
            },
          ],
        },
        {
          title: 'Resident memory',
          description: 'Resident set size of every Conveyor process.',
          unit: 'bytes',
          queries: [
            { expr: 'conveyor_process_resident_memory_bytes', legend: '{{service}} {{instance}}' },
          ],
        },
        {
          title: 'Event loop lag p99',
          description:
            'Node.js event loop delay, 99th percentile: a busy loop delays heartbeats and acks.',
          unit: 's',
          queries: [
            {
              expr: 'conveyor_nodejs_eventloop_lag_p99_seconds',
              legend: '{{service}} {{instance}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Processor',
      panels: [
        {
          title: 'Records streamed',
          description:
            'Records per second read from sources (in) and written to artifacts (out) by data.process jobs.',
          unit: 'ops',
          queries: [
            {
              expr: rateBy('direction', 'conveyor_processor_records_total'),
              legend: '{{direction}}',
            },
          ],
        },
        {
          title: 'Artifact bytes written',
          description: 'Bytes per second of results stored by data.process jobs.',
          unit: 'Bps',
          queries: [
            {
              expr: 'sum(rate(conveyor_processor_output_bytes_total[$__rate_interval]))',
              legend: 'bytes',
            },
          ],
        },
      ],
    },
    {
      title: 'Broker queues',
      panels: [
        {
          title: 'Consumers per queue',
          description: "RabbitMQ's count of consumers on each of Conveyor's queues.",
          unit: 'short',
          queries: [
            {
              expr: 'sum by (queue) (rabbitmq_detailed_queue_consumers{queue=~"$prefix\\\\..*"})',
              legend: '{{queue}}',
            },
          ],
        },
        {
          title: 'Unacked messages per queue',
          description: 'Deliveries held by workers (running or buffered) per queue.',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (queue) (rabbitmq_detailed_queue_messages_unacked{queue=~"$prefix\\\\..*"})',
              legend: '{{queue}}',
            },
          ],
        },
        {
          title: 'Attempt duration p95 by service',
          description: 'Claim to recorded outcome, 95th percentile, per worker service.',
          unit: 's',
          width: 24,
          queries: [
            {
              expr: quantile(0.95, 'conveyor_job_attempt_duration_seconds', 'service'),
              legend: '{{service}}',
            },
          ],
        },
      ],
    },
  ],
};

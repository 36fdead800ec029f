import { Counter, Histogram, type Registry } from '@conveyor/platform';

/**
 * How one webhook delivery attempt ended: the receiver's status class, or why no status
 * came (`timeout`, `connection`, `dns`), or why nothing was sent (`refused` destination,
 * `busy` destination at its limit).
 */
export type WebhookResult =
  '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'connection' | 'dns' | 'refused' | 'busy';

const WEBHOOK_RESULTS: readonly WebhookResult[] = [
  '2xx',
  '3xx',
  '4xx',
  '5xx',
  'timeout',
  'connection',
  'dns',
  'refused',
  'busy',
];

/** The status class label of an HTTP status. */
export function statusClass(status: number): WebhookResult {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}

/** The webhook delivery series (attempts, errors and latency per job come from the runtime). */
export interface WebhookMetrics {
  /** `conveyor_webhook_deliveries_total{result}` — delivery attempts by result. */
  readonly deliveries: Counter<'result'>;
  /** `conveyor_webhook_delivery_duration_seconds{result}` — one POST, request to answer. */
  readonly duration: Histogram<'result'>;
}

/** The processor's own metrics (attempts, latencies and errors come from the worker runtime). */
export interface ProcessorMetrics {
  /** `conveyor_processor_records_total{direction}` — records read (`in`) and written (`out`). */
  readonly records: Counter<'direction'>;
  /** `conveyor_processor_output_bytes_total` — bytes of artifacts written. */
  readonly outputBytes: Counter<string>;
  readonly webhooks: WebhookMetrics;
  /** `conveyor_reports_generated_total{source}` — reports stored, by source kind. */
  readonly reports: Counter<'source'>;
  /** `conveyor_report_bytes_total` — bytes of report PDFs stored. */
  readonly reportBytes: Counter<string>;
}

/** Registers the processor metrics on `registry` (the service's /metrics registry). */
export function createProcessorMetrics(registry: Registry): ProcessorMetrics {
  const registers = [registry];
  const records = new Counter({
    name: 'conveyor_processor_records_total',
    help: 'Records streamed by data.process jobs: read from the source (in) and written (out)',
    labelNames: ['direction'] as const,
    registers,
  });
  records.inc({ direction: 'in' }, 0);
  records.inc({ direction: 'out' }, 0);
  const deliveries = new Counter({
    name: 'conveyor_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result: the receiver status class (2xx..5xx), timeout, connection, dns, refused (destination not allowed), busy (destination at its limit)',
    labelNames: ['result'] as const,
    registers,
  });
  for (const result of WEBHOOK_RESULTS) deliveries.inc({ result }, 0);
  const reports = new Counter({
    name: 'conveyor_reports_generated_total',
    help: 'Report PDFs stored by report.generate jobs, by source (artifact, job-stats)',
    labelNames: ['source'] as const,
    registers,
  });
  reports.inc({ source: 'artifact' }, 0);
  reports.inc({ source: 'job-stats' }, 0);
  return Object.freeze({
    records,
    outputBytes: new Counter({
      name: 'conveyor_processor_output_bytes_total',
      help: 'Bytes of artifacts written by data.process jobs',
      registers,
    }),
    webhooks: Object.freeze({
      deliveries,
      duration: new Histogram({
        name: 'conveyor_webhook_delivery_duration_seconds',
        help: 'Webhook POSTs from request to answer (or failure), by result',
        labelNames: ['result'] as const,
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
    }),
    reports,
    reportBytes: new Counter({
      name: 'conveyor_report_bytes_total',
      help: 'Bytes of report PDFs stored by report.generate jobs',
      registers,
    }),
  });
}

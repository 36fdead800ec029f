import { Counter, type Registry } from '@conveyor/platform';

/** The processor's own metrics (attempts, latencies and errors come from the worker runtime). */
export interface ProcessorMetrics {
  /** `conveyor_processor_records_total{direction}` — records read (`in`) and written (`out`). */
  readonly records: Counter<'direction'>;
  /** `conveyor_processor_output_bytes_total` — bytes of artifacts written. */
  readonly outputBytes: Counter<string>;
}

/** Registers the processor metrics on `registry` (the service's /metrics registry). */
export function createProcessorMetrics(registry: Registry): ProcessorMetrics {
  const records = new Counter({
    name: 'conveyor_processor_records_total',
    help: 'Records streamed by data.process jobs: read from the source (in) and written (out)',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  records.inc({ direction: 'in' }, 0);
  records.inc({ direction: 'out' }, 0);
  return Object.freeze({
    records,
    outputBytes: new Counter({
      name: 'conveyor_processor_output_bytes_total',
      help: 'Bytes of artifacts written by data.process jobs',
      registers: [registry],
    }),
  });
}

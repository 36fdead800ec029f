import { Counter, Gauge, Histogram, type Registry } from '@conveyor/platform';

/** Worker runtime metrics (`conveyor_jobs_*`). */
export class WorkerMetrics {
  /** Attempts finished, by type and outcome (see AttemptOutcome: succeeded, retry, failed, cancelled, lease-lost, released, no-handler). */
  readonly outcomes: Counter<'type' | 'outcome'>;
  readonly duration: Histogram<'type' | 'outcome'>;
  /** Dispatches whose claim was refused: duplicate, stale or for a cancelled job (acked and dropped). */
  readonly claimRejected: Counter<'type'>;
  /** Messages dead-lettered before reaching a handler. */
  readonly invalid: Counter<'reason'>;

  constructor(registry: Registry, active: () => number) {
    this.outcomes = new Counter({
      name: 'conveyor_job_attempts_total',
      help: 'Job attempts finished, by type and outcome',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'conveyor_job_attempt_duration_seconds',
      help: 'Wall time of job attempts, claim to recorded outcome',
      labelNames: ['type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    });
    this.claimRejected = new Counter({
      name: 'conveyor_job_claims_rejected_total',
      help: 'Dispatch messages whose claim was refused (duplicate, stale or cancelled job)',
      labelNames: ['type'],
      registers: [registry],
    });
    this.invalid = new Counter({
      name: 'conveyor_job_messages_invalid_total',
      help: 'Work-queue messages dead-lettered before reaching a handler',
      labelNames: ['reason'],
      registers: [registry],
    });
    new Gauge({
      name: 'conveyor_jobs_active',
      help: 'Jobs running in this process',
      registers: [registry],
      collect() {
        this.set(active());
      },
    });
  }
}

import { Counter, Gauge, Histogram, type Registry } from '@conveyor/platform';
import type { JobDoc } from '../job.model.js';
import type { AttemptOutcome } from './outcome.js';

/** Outcomes after which a job is finished (no further attempt follows). */
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Latency buckets for queue waits and turnarounds: 5 ms to 1 h. */
const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];

/**
 * Worker runtime metrics (`conveyor_job_*`, `conveyor_worker_*`). Every label is bounded: job
 * type, priority, outcome, error code (handlers' stable codes), never a job id or an owner.
 * The runtime reports through {@link started}, {@link finished} and {@link errored}; the
 * counters stay public for the few direct uses (claims refused, invalid messages).
 */
export class WorkerMetrics {
  /** Attempts finished, by type and outcome (see AttemptOutcome: succeeded, retry, failed, cancelled, lease-lost, released, no-handler). */
  readonly outcomes: Counter<'type' | 'outcome'>;
  readonly duration: Histogram<'type' | 'outcome'>;
  /** Dispatches whose claim was refused: duplicate, stale or for a cancelled job (acked and dropped). */
  readonly claimRejected: Counter<'type'>;
  /** Messages dead-lettered before reaching a handler. */
  readonly invalid: Counter<'reason'>;
  /** Deliveries not claimed because a fleet-wide limit was reached (held or deferred). */
  readonly limited: Counter<'type' | 'reason'>;
  /** Failed attempts by job error code and whether the code is retryable. */
  readonly errors: Counter<'type' | 'code' | 'retryable'>;
  /** Due time (or submit time) to the first attempt's start. */
  readonly wait: Histogram<'type' | 'priority'>;
  /** Submit to the final outcome, all attempts and backoffs included. */
  readonly turnaround: Histogram<'type' | 'priority' | 'status'>;
  /** Heartbeats this worker published. */
  readonly heartbeats: Counter;

  constructor(registry: Registry, active: () => number, concurrency = 0) {
    const registers = [registry];
    this.outcomes = new Counter({
      name: 'conveyor_job_attempts_total',
      help: 'Job attempts finished, by type and outcome',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'conveyor_job_attempt_duration_seconds',
      help: 'Wall time of job attempts, claim to recorded outcome',
      labelNames: ['type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers,
    });
    this.claimRejected = new Counter({
      name: 'conveyor_job_claims_rejected_total',
      help: 'Dispatch messages whose claim was refused (duplicate, stale or cancelled job)',
      labelNames: ['type'],
      registers,
    });
    this.limited = new Counter({
      name: 'conveyor_job_limit_waits_total',
      help: 'Deliveries not claimed because a fleet-wide limit was reached: held until a concurrency slot frees (reason concurrency) or deferred to a reserved start (reason rate)',
      labelNames: ['type', 'reason'],
      registers,
    });
    this.invalid = new Counter({
      name: 'conveyor_job_messages_invalid_total',
      help: 'Work-queue messages dead-lettered before reaching a handler',
      labelNames: ['reason'],
      registers,
    });
    this.errors = new Counter({
      name: 'conveyor_job_errors_total',
      help: 'Failed attempts by job type, error code and retryable (true/false)',
      labelNames: ['type', 'code', 'retryable'],
      registers,
    });
    this.wait = new Histogram({
      name: 'conveyor_job_wait_seconds',
      help: 'Time from a job being due (submit time or runAt) to its first attempt starting',
      labelNames: ['type', 'priority'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.turnaround = new Histogram({
      name: 'conveyor_job_turnaround_seconds',
      help: 'Time from submit to the final outcome (succeeded, failed, cancelled), retries included',
      labelNames: ['type', 'priority', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.heartbeats = new Counter({
      name: 'conveyor_worker_heartbeats_total',
      help: 'Worker heartbeats published by this process',
      registers,
    });
    new Gauge({
      name: 'conveyor_jobs_active',
      help: 'Jobs running in this process',
      registers,
      collect() {
        this.set(active());
      },
    });
    new Gauge({
      name: 'conveyor_worker_concurrency',
      help: 'Jobs this process runs at once at most (CONCURRENCY)',
      registers,
    }).set(concurrency);
  }

  /** Reports 0 for the per-type counters of the types this worker serves, before any event. */
  forTypes(types: readonly string[]): void {
    for (const type of types) this.claimRejected.inc({ type }, 0);
  }

  /** A claimed attempt is about to run; the first attempt records its wait. */
  started(job: Pick<JobDoc, 'type' | 'priority' | 'attempts' | 'createdAt' | 'runAt'>): void {
    if (job.attempts !== 1) return;
    const due = Math.max(job.createdAt.getTime(), job.runAt.getTime());
    this.wait.observe(
      { type: job.type, priority: job.priority },
      Math.max(0, Date.now() - due) / 1000,
    );
  }

  /**
   * An attempt of a `type` job ended with `outcome` after `seconds`: counts it, records the
   * error of a failed attempt by code, and the turnaround of a final outcome.
   */
  finished(type: string, outcome: AttemptOutcome, seconds: number): void {
    this.outcomes.inc({ type, outcome: outcome.kind });
    this.duration.observe({ type, outcome: outcome.kind }, seconds);
    if (!('job' in outcome)) return;
    const { job } = outcome;
    if ((outcome.kind === 'retry' || outcome.kind === 'failed') && job.error) {
      this.errors.inc({ type, code: job.error.code, retryable: String(job.error.retryable) });
    }
    if (TERMINAL.has(outcome.kind)) {
      this.turnaround.observe(
        { type, priority: job.priority, status: outcome.kind },
        Math.max(0, Date.now() - job.createdAt.getTime()) / 1000,
      );
    }
  }
}

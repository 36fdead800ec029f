import type { Progress } from '@conveyor/contracts';
import type { Delivery, Logger } from '@conveyor/platform';
import type { HandlerRegistration, JobContext } from '../handler.js';
import type { JobRepository } from '../job.repository.js';
import type { JobDoc } from '../job.model.js';
import type { JobEvents } from '../events.js';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { classifyError, JobTimeoutError } from '../errors.js';
import type { WorkerMetrics } from './metrics.js';

export interface AttemptInput {
  jobId: string;
  attempt: number;
  handler: HandlerRegistration;
  delivery: Delivery;
  /** Aborted by a cancel broadcast ('cancel') or shutdown ('shutdown'). */
  ctl: AbortController;
  shutdown: AbortSignal;
  workerId: string;
  repo: JobRepository;
  events: JobEvents;
  log: Logger;
  metrics: WorkerMetrics;
  leaseMs: number;
  backoff: BackoffOptions;
  ackEarlyAboveMs: number;
  progressIntervalMs: number;
  correlationId: string;
}

/**
 * One attempt: claim (fenced by attempt number) -> run the handler with signal, timeout,
 * heartbeat and progress -> record the outcome (fenced by the lease token) -> ack. The
 * delivery is acked only after the state this worker is responsible for is stored.
 */
export async function runAttempt(a: AttemptInput): Promise<void> {
  const { repo, log, delivery, metrics } = a;
  const type = a.handler.type.name;
  const job = await repo.claim(a.jobId, a.attempt, a.workerId, a.leaseMs);
  if (!job) {
    // Duplicate or stale dispatch, or the job was cancelled: nothing to run.
    metrics.claimRejected.inc({ type });
    delivery.ack();
    return;
  }
  const started = process.hrtime.bigint();
  const token = job.leaseToken!;
  const jlog = log.child({ jobId: a.jobId, type, attempt: a.attempt });
  void a.events.lifecycle(job);
  const ackedEarly = job.timeoutMs > a.ackEarlyAboveMs;
  if (ackedEarly) delivery.ack();

  const parsed = a.handler.type.payload.safeParse(JSON.parse(job.payload));
  let outcome: string;
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
      .join('; ');
    outcome = await finishFailed(a, job, token, {
      code: 'INVALID_PAYLOAD',
      message,
      retryable: false,
    });
  } else {
    outcome = await execute(a, job, token, parsed.data, jlog);
  }
  metrics.outcomes.inc({ type, outcome });
  metrics.duration.observe({ type, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
  if (outcome === 'released') delivery.nack(true);
  else if (!ackedEarly) delivery.ack();
}

async function execute(
  a: AttemptInput,
  job: JobDoc,
  token: string,
  payload: unknown,
  log: Logger,
): Promise<string> {
  const { repo, ctl } = a;
  const timeout = setTimeout(() => ctl.abort('timeout'), job.timeoutMs);
  // The latest version of the job this worker wrote: a hint that saves a read per write.
  const latest: Latest = { doc: job };
  const progress = new ProgressReporter(a, latest, token);
  let leaseLost = false;
  const heartbeat = setInterval(
    () => {
      repo
        .heartbeat(job._id, token, a.leaseMs, latest.doc)
        .then((doc) => {
          if (!doc) {
            leaseLost = true;
            ctl.abort('lease-lost');
            return;
          }
          latest.doc = doc;
          if (doc.cancelRequested) ctl.abort('cancel');
        })
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'heartbeat failed'));
    },
    Math.max(200, Math.floor(a.leaseMs / 3)),
  );
  const ctx: JobContext<unknown> = {
    job: {
      id: job._id.toHexString(),
      type: job.type,
      attempt: job.attempts,
      maxAttempts: job.maxAttempts,
      owner: job.owner,
      ownerEmail: job.ownerEmail,
      priority: job.priority,
      payload,
      createdAt: job.createdAt,
      scheduleId: job.scheduleId,
      correlationId: a.correlationId,
    },
    signal: ctl.signal,
    progress: (percent, message) => progress.report(percent, message),
    log,
  };
  let result: unknown;
  let error: unknown = null;
  try {
    // The handler is raced against the signal: a handler that ignores it cannot hold the slot.
    result = await Promise.race([
      a.handler.handle(ctx as never),
      new Promise<never>((_, reject) => {
        const onAbort = () => reject(new Error(`aborted: ${String(ctl.signal.reason)}`));
        if (ctl.signal.aborted) onAbort();
        else ctl.signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } catch (err) {
    error = err;
  } finally {
    clearTimeout(timeout);
    clearInterval(heartbeat);
  }
  const succeeded = error === null && !ctl.signal.aborted;
  // n.b. a success stores its last progress message with the outcome: one write, not two
  const lastProgress = succeeded ? await progress.settle() : (await progress.flush(), null);

  const reason = ctl.signal.aborted ? String(ctl.signal.reason) : null;
  if (leaseLost || reason === 'lease-lost') {
    log.warn('lease lost while running; outcome discarded (the job was taken over)');
    return 'fenced';
  }
  if (reason === 'shutdown') {
    return (await repo.release(job._id, token, latest.doc)) ? 'released' : 'fenced';
  }
  if (reason === 'cancel') {
    const done = await repo.cancelRunning(job._id, token, latest.doc);
    if (done) void a.events.lifecycle(done);
    return done ? 'cancelled' : 'fenced';
  }
  if (reason === 'timeout') error = new JobTimeoutError(job.timeoutMs);
  if (error === null) {
    const checked = a.handler.type.result.safeParse(result);
    if (!checked.success)
      log.warn(
        { issues: checked.error.issues.slice(0, 3) },
        'handler result does not match its schema',
      );
    const done = await repo.succeed(
      job._id,
      token,
      checked.success ? checked.data : result,
      latest.doc,
      lastProgress?.message,
    );
    if (!done) return fencedOut(log);
    void a.events.lifecycle(done);
    return 'succeeded';
  }
  const info = classifyError(error);
  log.warn({ code: info.code, err: info.message, retryable: info.retryable }, 'attempt failed');
  return finishFailed(
    a,
    job,
    token,
    { code: info.code, message: info.message, retryable: info.retryable },
    info.retryAfterMs,
  );
}

async function finishFailed(
  a: AttemptInput,
  job: JobDoc,
  token: string,
  error: { code: string; message: string; retryable: boolean },
  retryAfterMs?: number,
): Promise<string> {
  const retry = error.retryable && job.attempts < job.maxAttempts;
  const delay = retryAfterMs ?? backoffDelay(job.attempts, a.backoff);
  const done = await a.repo.fail(
    job._id,
    token,
    { ...error, message: error.message.slice(0, 2000) },
    retry ? new Date(Date.now() + delay) : null,
  );
  if (!done) return fencedOut(a.log);
  void a.events.lifecycle(done);
  return retry ? 'retry' : 'failed';
}

function fencedOut(log: Logger): string {
  log.warn('outcome rejected by the lease fence: another worker owns this job now');
  return 'fenced';
}

interface Latest {
  doc: JobDoc;
}

/** Throttles progress writes: at most one per interval, and the last value always lands. */
class ProgressReporter {
  private latest: Progress | null = null;
  private lastWrite = 0;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly a: AttemptInput,
    private readonly job: Latest,
    private readonly token: string,
  ) {}

  report(percent: number, message?: string): void {
    const p = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
    this.latest = {
      percent: Math.round(p * 100) / 100,
      ...(message ? { message: message.slice(0, 500) } : {}),
    };
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.writing || !this.latest) return;
    const wait = Math.max(0, this.lastWrite + this.a.progressIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writing = this.write().finally(() => {
        this.writing = null;
        this.schedule();
      });
    }, wait);
  }

  private async write(): Promise<void> {
    const p = this.latest;
    if (!p) return;
    this.latest = null;
    this.lastWrite = Date.now();
    try {
      const doc = await this.a.repo.saveProgress(this.job.doc._id, this.token, p, this.job.doc);
      if (doc) this.job.doc = doc;
      void this.a.events.progress(this.job.doc, p);
    } catch (err) {
      this.a.log.debug({ err: (err as Error).message }, 'progress not saved');
    }
  }

  /**
   * Stops reporting: waits for a write in flight and returns the value not written yet, if
   * any (a success records it with the outcome instead of in a write of its own).
   */
  async settle(): Promise<Progress | null> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing) await this.writing;
    const pending = this.latest;
    this.latest = null;
    return pending;
  }

  /** Writes the pending value now (before the outcome is recorded). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing) await this.writing;
    if (this.latest) await this.write();
  }
}

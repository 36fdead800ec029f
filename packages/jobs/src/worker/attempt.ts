import { randomUUID } from 'node:crypto';
import type { JobError as JobErrorInfo } from '@conveyor/contracts';
import { startSpan, traceIdOf, type Logger } from '@conveyor/platform';
import type { HandlerRegistration, JobContext } from '../handler.js';
import type { JobRepository } from '../job.repository.js';
import type { JobDoc } from '../job.model.js';
import type { JobEvents } from '../events.js';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { classifyError, JobTimeoutError } from '../errors.js';
import { captureAttemptLog } from '../attempt-log.js';
import { pauseOf } from '../paused-types.js';
import type { LimitGate, LimitSettings } from '../limits/limit-gate.js';
import type { AttemptAbort, AttemptOutcome } from './outcome.js';
import { ProgressReporter } from './progress.js';
import { childSubmitter, jobFiles, type ContextServices } from './context.js';
import type { TransitionBatcher } from './transition-batcher.js';

export interface AttemptInput {
  jobId: string;
  attempt: number;
  handler: HandlerRegistration;
  /** The worker group (queue) the handler's type is bound to: a paused queue holds the job. */
  queue: string;
  /** Aborted by a cancel broadcast, the timeout, a lost lease or shutdown. */
  abort: AttemptAbort;
  workerId: string;
  repo: JobRepository;
  events: JobEvents;
  log: Logger;
  leaseMs: number;
  backoff: BackoffOptions;
  progressIntervalMs: number;
  /**
   * How long after its claim an attempt publishes `job.running.<type>`: one that has ended
   * by then publishes none, its final event says all (0: at the claim). See WorkerOptions.
   */
  runningEventDelayMs: number;
  correlationId: string;
  /** The consume span's trace context: the handler's span is its child. */
  traceparent: string;
  /**
   * Called once the claim is stored; answers whether the delivery was acked there (long
   * jobs, see the consumer timeout), in which case the attempt is guarded by its lease alone.
   */
  onClaimed: (job: JobDoc) => boolean;
  /** What the handler's `files` and `submit` act on. */
  services: ContextServices;
  /** Claims and outcomes, batched with the worker's other writes of the moment. */
  writes: TransitionBatcher;
  /**
   * The job before its claim, rebuilt from the dispatch's snapshot (see jobFromSnapshot): a
   * claim that lands needs no read of the job. Absent: the claim reads it back.
   */
  snapshot?: JobDoc | null;
  /** Fleet-wide limits; absent: none are applied (tests of the runtime alone). */
  limits?: { settings: LimitSettings; gate: LimitGate };
}

/** What the handler run came to, before it is recorded. */
type HandlerRun = { ok: true; result: unknown; message?: string } | { ok: false; error: unknown };

/**
 * One attempt: claim (fenced by attempt number) -> run the handler with signal, timeout,
 * heartbeat and progress -> record the outcome (fenced by the lease token). Returns how it
 * ended; the worker settles the delivery from that, in one place. A store error is thrown.
 */
export async function runAttempt(a: AttemptInput): Promise<AttemptOutcome> {
  // n.b. a job of a paused type or queue stays queued, its attempt unspent; resuming
  // dispatches it again
  const paused = await pauseOf(a.repo.model.db, a.handler.type.name, a.queue);
  if (paused) {
    a.log.debug(
      { jobId: a.jobId, type: a.handler.type.name, queue: a.queue, paused },
      'job left queued: paused',
    );
    return { kind: 'rejected' };
  }
  // n.b. a type without limits (the definition's or an operator's) pays one cached lookup
  let slots: string[] = [];
  const limits = a.limits
    ? await a.limits.settings.effective(a.handler.type.name, a.handler.type.limits)
    : undefined;
  if (limits && a.limits) {
    const admission = await a.limits.gate.admit({
      jobId: a.jobId,
      attempt: a.attempt,
      type: a.handler.type.name,
      limits,
      leaseMs: a.leaseMs,
    });
    if (admission.kind === 'held') return { kind: 'limited', reason: 'concurrency' };
    if (admission.kind === 'deferred') return { kind: 'limited', reason: 'rate' };
    slots = admission.slots;
  }
  if (slots.length === 0) return claimAndRun(a, []);
  const gate = a.limits!.gate;
  try {
    return await claimAndRun(a, slots);
  } finally {
    // n.b. whatever the outcome (a store error too), the slot is given back; a worker that
    // dies here leaves it to expire with the lease
    await gate
      .release(a.jobId, a.attempt, slots)
      .catch((err: unknown) =>
        a.log.warn({ err: (err as Error).message, jobId: a.jobId }, 'limit slot not released'),
      );
  }
}

async function claimAndRun(a: AttemptInput, slots: string[]): Promise<AttemptOutcome> {
  const claim = {
    attempt: a.attempt,
    workerId: a.workerId,
    leaseToken: randomUUID(),
    leaseMs: a.leaseMs,
  };
  // n.b. from the snapshot, fenced by its attempt budget too; otherwise the claim reads the job
  const job = a.snapshot
    ? await a.writes.applyTo(
        'moveToRunning',
        a.snapshot,
        { ...claim, maxAttempts: a.snapshot.maxAttempts },
        { quiet: true },
      )
    : await a.writes.apply('moveToRunning', a.jobId, claim, { quiet: true });
  const traceId = traceIdOf(a.traceparent);
  if (!job) {
    a.log.debug({ jobId: a.jobId, traceId }, 'claim refused: duplicate, stale or cancelled');
    return { kind: 'rejected' };
  }
  // n.b. published from here rather than by the claim's write: an attempt whose handler ends
  // within the delay publishes no `running` event (its final event follows at once); the
  // timer stops before the outcome is written, so a `running` event always precedes it
  const announce = () => void a.events.lifecycle(job);
  const timer =
    a.runningEventDelayMs > 0 ? setTimeout(announce, a.runningEventDelayMs) : announce();
  const handlerDone = () => {
    if (timer) clearTimeout(timer);
  };
  try {
    return await runClaimed(a, job, slots, handlerDone);
  } finally {
    handlerDone();
  }
}

async function runClaimed(
  a: AttemptInput,
  job: JobDoc,
  slots: string[],
  handlerDone: () => void,
): Promise<AttemptOutcome> {
  const traceId = traceIdOf(a.traceparent);
  const ackedEarly = a.onClaimed(job);
  const log = a.log.child({ jobId: a.jobId, traceId, type: job.type, attempt: a.attempt });
  a = { ...a, log };
  const parsed = a.handler.type.payload.safeParse(JSON.parse(job.payload));
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
      .join('; ');
    handlerDone();
    return recordFailure(a, job, { code: 'INVALID_PAYLOAD', message, retryable: false });
  }
  const run = await runHandler(a, job, parsed.data, log, slots);
  handlerDone();
  return record(a, job, run, ackedEarly, log);
}

async function runHandler(
  a: AttemptInput,
  job: JobDoc,
  payload: unknown,
  log: Logger,
  slots: string[],
): Promise<HandlerRun> {
  const { repo, abort } = a;
  const token = job.leaseToken!;
  const timeout = setTimeout(() => abort.abort('timeout'), job.timeoutMs);
  const progress = new ProgressReporter(
    async (p) => {
      const doc = await repo.transition('recordProgress', job._id, {
        leaseToken: token,
        progress: p,
      });
      if (doc) void a.events.progress(doc, p);
      return doc !== null;
    },
    a.progressIntervalMs,
    (err) => log.debug({ err: (err as Error).message }, 'progress not saved'),
  );
  const heartbeat = setInterval(
    () => {
      repo
        .transition('renewLease', job._id, { leaseToken: token, leaseMs: a.leaseMs })
        .then((doc) => {
          if (!doc) {
            progress.stop();
            abort.abort('lease-lost');
          } else if (doc.cancelRequested) abort.abort('cancel');
          if (doc && slots.length > 0)
            void a.limits?.gate
              .renew(a.jobId, a.attempt, slots, a.leaseMs)
              .catch((err: unknown) =>
                log.warn({ err: (err as Error).message }, 'limit slot not renewed'),
              );
        })
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'heartbeat failed'));
    },
    Math.max(200, Math.floor(a.leaseMs / 3)),
  );
  const span = startSpan(`run ${job.type}`, {
    parent: a.traceparent,
    attributes: { 'conveyor.job_id': job._id.toHexString(), 'conveyor.attempt': job.attempts },
  });
  const capture = captureAttemptLog(
    { id: job._id.toHexString(), owner: job.owner, attempt: job.attempts },
    log,
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
      traceparent: span.traceparent,
    },
    signal: abort.signal,
    progress: (percent, message) => progress.report(percent, message),
    log: capture.log,
    files: jobFiles(a.services, job),
    submit: childSubmitter(a.services, job, span.traceparent),
  };
  let run: HandlerRun;
  try {
    // The handler is raced against the signal: a handler that ignores it cannot hold the slot.
    const result = await Promise.race([
      a.handler.handle(ctx as never),
      new Promise<never>((_, reject) => {
        const onAbort = () => reject(new Error(`aborted: ${abort.reason ?? 'unknown'}`));
        if (abort.signal.aborted) onAbort();
        else abort.signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    run = { ok: true, result };
  } catch (error) {
    run = { ok: false, error };
  } finally {
    clearTimeout(timeout);
    clearInterval(heartbeat);
    span.end(run! && !run.ok ? run.error : abort.reason);
  }
  await capture.save(a.repo.model.db, run.ok ? undefined : run.error);
  if (run.ok && !abort.signal.aborted) {
    // n.b. a success stores its last progress message with the outcome: one write, not two
    const last = await progress.settle();
    return last?.message ? { ...run, message: last.message } : run;
  }
  await progress.flush();
  return run.ok ? { ok: false, error: new Error(`aborted: ${abort.reason}`) } : run;
}

async function record(
  a: AttemptInput,
  job: JobDoc,
  run: HandlerRun,
  ackedEarly: boolean,
  log: Logger,
): Promise<AttemptOutcome> {
  const leaseToken = job.leaseToken!;
  switch (a.abort.reason) {
    case 'lease-lost':
      log.warn('lease lost while running; outcome discarded (the job was taken over)');
      return { kind: 'lease-lost' };
    case 'shutdown': {
      const released = await a.writes.applyTo('releaseToQueued', job, {
        leaseToken,
        redelivery: ackedEarly ? 'outbox' : 'broker',
      });
      return released ? { kind: 'released' } : leaseLost(log);
    }
    case 'cancel': {
      const done = await a.writes.applyTo('moveRunningToCancelled', job, {
        leaseToken,
      });
      return done ? { kind: 'cancelled', job: done } : leaseLost(log);
    }
    case 'timeout':
      log.warn({ code: 'TIMEOUT', timeoutMs: job.timeoutMs }, 'attempt timed out');
      return recordFailure(a, job, errorInfo(new JobTimeoutError(job.timeoutMs)));
    case null:
      break;
  }
  if (!run.ok) {
    const info = classifyError(run.error);
    if (info.deferMs !== undefined) {
      log.info({ code: info.code, deferMs: info.deferMs }, 'attempt deferred; not spent');
      const done = await a.writes.applyTo('deferToScheduled', job, {
        leaseToken,
        runAt: new Date(Date.now() + info.deferMs),
      });
      return done ? { kind: 'deferred', job: done } : leaseLost(log);
    }
    log.warn({ code: info.code, err: info.message, retryable: info.retryable }, 'attempt failed');
    return recordFailure(a, job, errorInfo(run.error), info.retryAfterMs);
  }
  const checked = a.handler.type.result.safeParse(run.result);
  if (!checked.success)
    log.warn(
      { issues: checked.error.issues.slice(0, 3) },
      'handler result does not match its schema',
    );
  const done = await a.writes.applyTo('moveToSucceeded', job, {
    leaseToken,
    result: checked.success ? checked.data : run.result,
    ...(run.message ? { message: run.message } : {}),
  });
  return done ? { kind: 'succeeded', job: done } : leaseLost(log);
}

function errorInfo(err: unknown): JobErrorInfo {
  const info = classifyError(err);
  return { code: info.code, message: info.message, retryable: info.retryable };
}

/** Records a failed attempt: a retry after backoff while attempts are left, else failed. */
async function recordFailure(
  a: AttemptInput,
  job: JobDoc,
  error: JobErrorInfo,
  retryAfterMs?: number,
): Promise<AttemptOutcome> {
  const leaseToken = job.leaseToken!;
  const stored = { ...error, message: error.message.slice(0, 2000) };
  if (error.retryable && job.attempts < job.maxAttempts) {
    const delay = retryAfterMs ?? backoffDelay(job.attempts, a.backoff);
    const done = await a.writes.applyTo('moveToRetry', job, {
      leaseToken,
      error: stored,
      retryAt: new Date(Date.now() + delay),
    });
    return done ? { kind: 'retry', job: done } : leaseLost(a.log);
  }
  const done = await a.writes.applyTo('moveToFailed', job, {
    leaseToken,
    error: stored,
  });
  return done ? { kind: 'failed', job: done } : leaseLost(a.log);
}

function leaseLost(log: Logger): AttemptOutcome {
  log.warn('outcome rejected: another attempt owns this job now (lease lost)');
  return { kind: 'lease-lost' };
}

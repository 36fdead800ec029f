import {
  envelope,
  isTerminal,
  jobLifecycleEvent,
  jobProgressEvent,
  routingKeys,
  type Progress,
  type Topology,
} from '@conveyor/contracts';
import { publishEnvelope, type AmqpClient, type Logger } from '@conveyor/platform';
import type { JobDoc } from './job.model.js';

/**
 * Lifecycle and progress events on the events exchange. Best effort: the job document is the
 * source of truth, so a lost event costs a live update, never a job. Failures are counted.
 */
export class JobEvents {
  failures = 0;
  private readonly inFlight = new Set<Promise<boolean>>();

  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly log: Logger,
  ) {}

  /**
   * Publishes `job.<status>.<type>` for the job's current state (and, for a final state, the
   * reaction keys the job asked for). Resolves true when the broker confirmed every one.
   */
  async lifecycle(job: JobDoc): Promise<boolean> {
    const env = envelope(
      jobLifecycleEvent,
      {
        jobId: job._id.toHexString(),
        type: job.type,
        owner: job.owner,
        status: job.status,
        attempt: job.attempts,
        ...(job.error ? { error: job.error } : {}),
        ...(job.status === 'scheduled' ? { runAt: job.runAt.toISOString() } : {}),
        ...(job.workerId ? { workerId: job.workerId } : {}),
      },
      {
        correlationId: job.correlationId,
        ...traceOf(job),
        // n.b. a `running` event may be published a moment after the claim (see the worker's
        // runningEventDelayMs): it still says when the attempt started
        ...(job.status === 'running' && job.startedAt
          ? { occurredAt: job.startedAt.toISOString() }
          : {}),
      },
    );
    const sent = [this.send(jobLifecycleEvent, routingKeys.jobStatus(job.status, job.type), env)];
    if (isTerminal(job.status))
      for (const r of job.reactions ?? [])
        sent.push(this.send(jobLifecycleEvent, routingKeys.reaction(r, job.status, job.type), env));
    return (await Promise.all(sent)).every(Boolean);
  }

  /** Publishes `job.progress.<type>` (best effort: a later one or the document replaces it). */
  async progress(
    job: Pick<JobDoc, '_id' | 'type' | 'owner' | 'attempts' | 'correlationId' | 'traceparent'>,
    progress: Progress,
  ): Promise<void> {
    const env = envelope(
      jobProgressEvent,
      {
        jobId: job._id.toHexString(),
        type: job.type,
        owner: job.owner,
        attempt: job.attempts,
        progress,
      },
      { correlationId: job.correlationId, ...traceOf(job) },
    );
    await this.send(jobProgressEvent, routingKeys.jobProgress(job.type), env);
  }

  /** Waits for the events published so far (at shutdown, before the channel closes). */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private send(
    def: typeof jobLifecycleEvent | typeof jobProgressEvent,
    key: string,
    env: Parameters<typeof publishEnvelope>[4],
  ): Promise<boolean> {
    const p = this.publish(def, key, env).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  private async publish(
    def: typeof jobLifecycleEvent | typeof jobProgressEvent,
    key: string,
    env: Parameters<typeof publishEnvelope>[4],
  ): Promise<boolean> {
    try {
      // n.b. not mandatory: an events exchange with no listener bound is normal.
      await publishEnvelope(
        this.amqp,
        def as typeof jobLifecycleEvent,
        this.topo.exchanges.events,
        key,
        env as never,
        {
          mandatory: false,
        },
      );
      return true;
    } catch (err) {
      this.failures++;
      this.log.debug({ err: (err as Error).message, key }, 'event not published');
      return false;
    }
  }
}

/** Events of a job carry the job's own trace context. */
function traceOf(job: Pick<JobDoc, 'traceparent'>): { traceparent?: string } {
  return job.traceparent ? { traceparent: job.traceparent } : {};
}

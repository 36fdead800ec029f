import { Types, type Connection } from 'mongoose';
import { isTerminal, webhookDeliver, WEBHOOK_LIMITS, type JobResource } from '@conveyor/contracts';
import type { Logger } from '@conveyor/platform';
import type { JobCore } from '../core.js';
import type { JobDoc } from '../job.model.js';
import { submitJob } from '../use-cases/submit.js';
import { toJobResource } from '../resource.js';
import { insertManySkippingDuplicates } from '../duplicate-keys.js';
import { callbackModel, type CallbackDoc, type CallbackModel } from './callback.model.js';

/** The idempotency key of a job's callback delivery: one per job, whoever fires it. */
export const callbackKey = (jobId: string) => `callback:${jobId}`;

/** The signed body of a completion callback. */
export interface CallbackBody {
  type: `job.${'succeeded' | 'failed' | 'cancelled'}`;
  timestamp: string;
  data: JobResource;
}

/** The callback body for a final job; payload and result are left out past the body limit. */
export function callbackBody(job: JobDoc): CallbackBody {
  const resource = toJobResource(job);
  const body: CallbackBody = {
    type: `job.${job.status as 'succeeded' | 'failed' | 'cancelled'}`,
    timestamp: (job.finishedAt ?? new Date()).toISOString(),
    data: resource,
  };
  if (Buffer.byteLength(JSON.stringify(body)) <= WEBHOOK_LIMITS.bodyBytes) return body;
  return { ...body, data: { ...resource, payload: null, result: null } };
}

/**
 * Completion callbacks: the API registers them at submit; whoever learns that a job is final
 * (a lifecycle event, or the sweep for events that were lost) calls {@link fire}, which
 * creates the job's one `webhook.deliver` job (idempotency key `callback:<jobId>`) and
 * dispatches it. Any number of callers and replicas may race: the key makes it one job.
 */
export class JobCallbacks {
  readonly model: CallbackModel;

  constructor(
    conn: Connection,
    private readonly core: JobCore,
    private readonly log: Logger,
  ) {
    this.model = callbackModel(conn);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  /**
   * Records callbacks of freshly created jobs. A job that finishes before its callback is
   * recorded is caught by the sweep.
   */
  async register(entries: { job: JobDoc; url: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const now = new Date();
    const docs: CallbackDoc[] = entries.map(({ job, url }) => ({
      _id: job._id,
      owner: job.owner,
      ownerEmail: job.ownerEmail,
      url,
      state: 'pending',
      createdAt: now,
    }));
    // n.b. a duplicate means this job's callback is recorded already: nothing to do
    await insertManySkippingDuplicates(this.model.collection, docs);
  }

  /**
   * Creates and dispatches the callback delivery of `jobId` if it has a pending callback and
   * is final; returns the delivery job's id, or null when there is nothing to do (yet).
   */
  async fire(jobId: string, known?: JobDoc): Promise<string | null> {
    if (!/^[a-f0-9]{24}$/.test(jobId)) return null;
    const cb = await this.model.findOne({ _id: new Types.ObjectId(jobId) }).lean<CallbackDoc>();
    if (!cb || cb.state !== 'pending') return null;
    const job = known && isTerminal(known.status) ? known : await this.core.repo.get(jobId);
    if (!job || !isTerminal(job.status)) return null;
    // n.b. submitJob stores and dispatches; an unconfirmed dispatch is the outbox sweeper's
    const { job: delivery, created } = await submitJob(this.core, {
      type: webhookDeliver.name,
      payload: webhookDeliver.payload.parse({ url: cb.url, body: callbackBody(job) }),
      priority: 'normal',
      owner: cb.owner,
      ownerEmail: cb.ownerEmail,
      maxAttempts: webhookDeliver.defaults.maxAttempts,
      timeoutMs: webhookDeliver.defaults.timeoutMs,
      runAt: new Date(),
      idempotencyKey: callbackKey(jobId),
      correlationId: job.correlationId,
    });
    const deliveryId = delivery._id.toHexString();
    // n.b. done: the key guards against a second delivery job, so the record can go
    await this.model.deleteOne({ _id: cb._id });
    if (created) this.log.info({ jobId, deliveryJobId: deliveryId }, 'completion callback queued');
    return deliveryId;
  }

  /**
   * Fires the pending callbacks older than `minAgeMs` whose jobs are final (events can be
   * lost); returns how many deliveries it queued. Looks at `limit` callbacks per call.
   */
  async sweep(minAgeMs: number, limit = 200): Promise<number> {
    const pending = await this.model
      .find({ state: 'pending', createdAt: { $lt: new Date(Date.now() - minAgeMs) } })
      .sort({ createdAt: 1 })
      .limit(limit)
      .lean<CallbackDoc[]>();
    if (pending.length === 0) return 0;
    const ids = pending.map((c) => c._id);
    const final = await this.core.repo.queries.findFinishedAmong(ids);
    let fired = 0;
    for (const job of final) if (await this.fire(job._id.toHexString(), job)) fired++;
    // n.b. a callback whose job was deleted can never fire: drop it
    const alive = await this.core.repo.queries.existingAmong(ids);
    const orphans = pending.filter((c) => !alive.has(c._id.toHexString())).map((c) => c._id);
    if (orphans.length > 0) await this.model.deleteMany({ _id: { $in: orphans } });
    return fired;
  }
}

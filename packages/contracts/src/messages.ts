import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { jobErrorSchema, jobStatusSchema, progressSchema } from './job.js';
import { prioritySchema } from './priority.js';

/**
 * A message definition: its `type`, schema `version` and data schema. Publish and consume
 * helpers take these, and consumers validate what arrives (the broker delivers bytes).
 */
export interface MessageDefinition<T extends string = string, D extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly version: number;
  readonly data: D;
  readonly envelope: z.ZodType<Envelope<z.infer<D>>>;
}

export interface Envelope<D = unknown> {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  correlationId: string;
  /** W3C trace context: `00-<trace-id>-<span-id>-<flags>`. */
  traceparent?: string | undefined;
  data: D;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function defineMessage<T extends string, D extends z.ZodType>(
  type: T,
  version: number,
  data: D,
): MessageDefinition<T, D> {
  const envelope = z.object({
    id: z.string().min(1).max(100),
    type: z.literal(type),
    version: z.literal(version),
    occurredAt: z.iso.datetime({ offset: true }),
    correlationId: z.string().min(1).max(200),
    traceparent: z.string().regex(TRACEPARENT).optional(),
    data,
  }) as unknown as z.ZodType<Envelope<z.infer<D>>>;
  return Object.freeze({ type, version, data, envelope });
}

/** A fresh W3C traceparent (random trace and span ids, sampled). */
export function newTraceparent(traceId?: string): string {
  const hex = (n: number) => randomUUID().replace(/-/g, '').slice(0, n);
  return `00-${traceId ?? hex(32)}-${hex(16)}-01`;
}

/** Builds an envelope for a definition; `correlationId` defaults to the new message's id. */
export function envelope<T extends string, D extends z.ZodType>(
  def: MessageDefinition<T, D>,
  data: z.input<D>,
  opts: { correlationId?: string; traceparent?: string; id?: string } = {},
): Envelope<z.infer<D>> {
  const id = opts.id ?? randomUUID();
  return {
    id,
    type: def.type,
    version: def.version,
    occurredAt: new Date().toISOString(),
    correlationId: opts.correlationId ?? id,
    traceparent: opts.traceparent ?? newTraceparent(),
    data: def.data.parse(data) as z.infer<D>,
  };
}

/** Work queue message: run attempt `attempt` of job `jobId`. The job document holds the rest. */
export const jobDispatch = defineMessage(
  'job.dispatch',
  1,
  z.object({
    jobId: z.string().regex(/^[a-f0-9]{24}$/),
    type: z.string(),
    attempt: z.int().min(1),
    priority: prioritySchema,
  }),
);

/** Lifecycle event on `conveyor.events`, routing key `job.<status>.<type>`. */
export const jobLifecycleEvent = defineMessage(
  'job.lifecycle',
  1,
  z.object({
    jobId: z.string(),
    type: z.string(),
    owner: z.string(),
    status: jobStatusSchema,
    attempt: z.int(),
    error: jobErrorSchema.optional(),
    runAt: z.string().optional(),
    /** The worker running the attempt (on `running` and the outcome of a run). */
    workerId: z.string().optional(),
  }),
);

/** Progress event on `conveyor.events`, routing key `job.progress.<type>`. */
export const jobProgressEvent = defineMessage(
  'job.progress',
  1,
  z.object({
    jobId: z.string(),
    type: z.string(),
    owner: z.string(),
    attempt: z.int(),
    progress: progressSchema,
  }),
);

/** Worker heartbeat on `conveyor.events`, routing key `worker.heartbeat.<service>`. */
export const workerHeartbeat = defineMessage(
  'worker.heartbeat',
  1,
  z.object({
    workerId: z.string(),
    service: z.string(),
    hostname: z.string(),
    pid: z.int(),
    concurrency: z.int(),
    active: z.int(),
    jobTypes: z.array(z.string()),
    startedAt: z.string(),
    /** The worker's software version (Conveyor's release), shown by the dashboard. */
    version: z.string().optional(),
  }),
);

/** Cancel broadcast on `conveyor.control`: every worker aborts the job if it runs it. */
export const jobCancel = defineMessage('job.cancel', 1, z.object({ jobId: z.string() }));

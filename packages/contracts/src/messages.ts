import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { JOB_STATUSES, jobErrorSchema, jobStatusSchema, progressSchema } from './job.js';
import { PRIORITIES, prioritySchema } from './priority.js';

/**
 * A message definition: its `type`, schema `version` and data schema. Publish and consume
 * helpers take these, and consumers validate what arrives (the broker delivers bytes).
 */
export interface MessageDefinition<T extends string = string, D extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly version: number;
  readonly data: D;
  readonly envelope: z.ZodType<Envelope<z.infer<D>>>;
  /**
   * A hand-written check of `data` for the hot consumers of messages only Conveyor's own code
   * publishes (see {@link checkEnvelope}): what is wrong, or null. Absent: the schema decides.
   */
  readonly shape?: (data: Record<string, unknown>) => string | null;
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
  shape?: (data: Record<string, unknown>) => string | null,
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
  return Object.freeze({ type, version, data, envelope, ...(shape ? { shape } : {}) });
}

const isString = (v: unknown, max = 1000): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * The cheap check of an envelope on a queue only Conveyor's own producers publish to (work
 * queues, the events exchange): the envelope's fields and the definition's `shape` of its
 * data, by hand instead of the full schema (which costs more than the rest of a no-op job's
 * delivery). A malformed message is still refused, with the reason; a definition without
 * `shape` is checked by its schema. Returns the envelope, or what is wrong.
 */
export function checkEnvelope<T extends string, D extends z.ZodType>(
  def: MessageDefinition<T, D>,
  body: unknown,
): { ok: true; env: Envelope<z.infer<D>> } | { ok: false; reason: string } {
  if (!def.shape) {
    const parsed = def.envelope.safeParse(body);
    return parsed.success
      ? { ok: true, env: parsed.data }
      : {
          ok: false,
          reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        };
  }
  const b = body as Record<string, unknown> | null;
  if (typeof b !== 'object' || b === null) return { ok: false, reason: 'not an object' };
  if (b['type'] !== def.type) return { ok: false, reason: `type is not ${def.type}` };
  if (b['version'] !== def.version) return { ok: false, reason: `version is not ${def.version}` };
  if (!isString(b['id'], 100)) return { ok: false, reason: 'id: expected a string' };
  if (!isString(b['correlationId'], 200))
    return { ok: false, reason: 'correlationId: expected a string' };
  if (!isString(b['occurredAt'], 40) || Number.isNaN(Date.parse(b['occurredAt'])))
    return { ok: false, reason: 'occurredAt: expected a date-time' };
  if (b['traceparent'] !== undefined && !TRACEPARENT.test(String(b['traceparent'])))
    return { ok: false, reason: 'traceparent: not a W3C traceparent' };
  const data = b['data'];
  if (typeof data !== 'object' || data === null)
    return { ok: false, reason: 'data: expected an object' };
  const wrong = def.shape(data as Record<string, unknown>);
  return wrong === null
    ? { ok: true, env: b as unknown as Envelope<z.infer<D>> }
    : { ok: false, reason: `data.${wrong}` };
}

const JOB_ID = /^[a-f0-9]{24}$/;
const isInt = (v: unknown, min = -Infinity): v is number =>
  Number.isInteger(v) && (v as number) >= min;

/** A fresh W3C traceparent (random trace and span ids, sampled). */
export function newTraceparent(traceId?: string): string {
  const hex = (n: number) => randomUUID().replace(/-/g, '').slice(0, n);
  return `00-${traceId ?? hex(32)}-${hex(16)}-01`;
}

/**
 * Builds an envelope for a definition; `correlationId` defaults to the new message's id.
 * `data` is typed by the definition and not parsed again: producers are Conveyor's own code,
 * typed at compile time, and consumers validate what arrives (see consumeEnvelopes).
 */
export function envelope<T extends string, D extends z.ZodType>(
  def: MessageDefinition<T, D>,
  data: z.infer<D>,
  opts: {
    correlationId?: string;
    traceparent?: string;
    id?: string;
    /** When what the message reports happened, if not now (ISO 8601). @default now */
    occurredAt?: string;
  } = {},
): Envelope<z.infer<D>> {
  const id = opts.id ?? randomUUID();
  return {
    id,
    type: def.type,
    version: def.version,
    occurredAt: opts.occurredAt ?? new Date().toISOString(),
    correlationId: opts.correlationId ?? id,
    traceparent: opts.traceparent ?? newTraceparent(),
    data,
  };
}

/**
 * Work queue message: run attempt `attempt` of job `jobId`. The job document holds the rest;
 * `job`, when present, is a copy of the document's fields a worker needs to run the job, taken
 * when the dispatch was published (see the protocol's claim step), so a worker whose claim
 * lands need not read the job back. A worker may ignore it.
 */
export const jobDispatch = defineMessage(
  'job.dispatch',
  1,
  z.object({
    jobId: z.string().regex(/^[a-f0-9]{24}$/),
    type: z.string(),
    attempt: z.int().min(1),
    priority: prioritySchema,
    job: z.record(z.string(), z.unknown()).optional(),
  }),
  (d) =>
    typeof d['jobId'] !== 'string' || !JOB_ID.test(d['jobId'])
      ? 'jobId: expected 24 hex digits'
      : !isString(d['type'])
        ? 'type: expected a string'
        : !isInt(d['attempt'], 1)
          ? 'attempt: expected an integer >= 1'
          : !(PRIORITIES as readonly unknown[]).includes(d['priority'])
            ? `priority: expected one of ${PRIORITIES.join(', ')}`
            : d['job'] !== undefined &&
                (typeof d['job'] !== 'object' || d['job'] === null || Array.isArray(d['job']))
              ? 'job: expected an object'
              : null,
);

/** The fields every job event carries (see the shapes of the definitions below). */
function jobEventShape(d: Record<string, unknown>): string | null {
  if (!isString(d['jobId'], 100)) return 'jobId: expected a string';
  if (!isString(d['type'], 300)) return 'type: expected a string';
  if (typeof d['owner'] !== 'string') return 'owner: expected a string';
  if (!isInt(d['attempt'])) return 'attempt: expected an integer';
  return null;
}

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
  (d) =>
    jobEventShape(d) ??
    (!(JOB_STATUSES as readonly unknown[]).includes(d['status'])
      ? 'status: expected a job status'
      : d['error'] !== undefined && (typeof d['error'] !== 'object' || d['error'] === null)
        ? 'error: expected an object'
        : null),
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
  (d) => {
    const p = d['progress'] as { percent?: unknown } | null;
    return (
      jobEventShape(d) ??
      (typeof p !== 'object' || p === null || typeof p.percent !== 'number'
        ? 'progress: expected {percent, message?}'
        : null)
    );
  },
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

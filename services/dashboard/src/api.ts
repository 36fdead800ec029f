import type {
  JobResource,
  ScheduleResource,
  WorkflowResource,
  WorkflowStepResource,
} from '@conveyor/contracts';

export type { JobResource, ScheduleResource, WorkflowResource, WorkflowStepResource };

/** An RFC 9457 problem answered by the API, as an error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: { field: string; message: string }[] = [],
  ) {
    super(detail ?? title);
  }
  /** One line for the page: detail, then each field error. */
  get summary(): string {
    const fields = this.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return fields ? `${this.message} (${fields})` : this.message;
  }
}

/** What a failed call says on the page: the problem's summary, or the error's message. */
export const errorText = (err: unknown): string =>
  err instanceof ApiError ? err.summary : err instanceof Error ? err.message : String(err);

let token: string | null = null;
let onUnauthorized: () => void = () => undefined;

/** Sets the bearer token of every call, and what to do when the API answers 401. */
export function configureApi(t: string | null, unauthorized: () => void): void {
  token = t;
  onUnauthorized = unauthorized;
}

/** `fetch` against the API with the bearer token; problems become {@link ApiError}. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (typeof init.body === 'string') headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers });
  if (res.ok) return res;
  if (res.status === 401) onUnauthorized();
  let body: { title?: string; detail?: string; errors?: { field: string; message: string }[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // n.b. not a problem document (a proxy's page): the status says enough
  }
  throw new ApiError(res.status, body.title ?? res.statusText, body.detail, body.errors ?? []);
}

/** GET (or another method) answering JSON. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await request(path, init);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** POST/PATCH with a JSON body. */
export const send = <T>(method: string, path: string, body?: unknown) =>
  api<T>(path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

/** Builds `path?query` from defined, non-empty values. */
export function withQuery(
  path: string,
  q: Record<string, string | number | undefined | null>,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TimelineItem {
  status: JobResource['status'];
  attempt: number;
  occurredAt: string;
  error: { code: string; message: string; retryable: boolean } | null;
  runAt: string | null;
  workerId: string | null;
}

export interface Lane {
  service: string;
  lane: string;
  queue: string;
  messages: number;
  consumers: number;
  oldestQueuedAt: string | null;
  oldestAgeMs: number | null;
}

export interface ThroughputPoint {
  at: string;
  succeeded: number;
  failed: number;
  cancelled: number;
}

export interface Overview {
  at: string;
  counts: Record<JobResource['status'], number>;
  lastHour: {
    bucketMs: number;
    succeeded: number;
    failed: number;
    failureRate: number;
    series: ThroughputPoint[];
  };
  lanes: Lane[];
  running: JobResource[];
  recentFailures: JobResource[];
}

export interface QueueStats {
  name: string;
  role: 'work' | 'dead-letters' | 'timeline';
  service: string | null;
  lane: string | null;
  messages: number;
  ready: number | null;
  unacked: number | null;
  consumers: number;
  publishRate: number | null;
  deliverRate: number | null;
}

export interface DeadLetter {
  key: string;
  reason: string | null;
  queue: string | null;
  exchange: string | null;
  routingKey: string | null;
  count: number;
  firstDeathAt: string | null;
  body: string;
  truncated: boolean;
  jobId: string | null;
  type: string | null;
}

export interface Worker {
  workerId: string;
  service: string;
  hostname: string;
  pid: number;
  concurrency: number;
  active: number;
  jobTypes: string[];
  startedAt: string;
  lastSeenAt: string;
  version?: string;
}

export interface JobType {
  name: string;
  description: string;
  /** The worker group whose queues receive the type. */
  queue: string;
  /** Deprecated: the same as `queue`. */
  service: string;
  schemaHash: string;
  examples?: unknown[];
  /** Payload paths its jobs can be searched by; absent: its top-level scalar fields. */
  search?: string[];
  lastSeenAt: string | null;
  worker: { live: boolean; message: string; liveSchemaHashes: string[] };
  /** Fleet-wide limits (absent from an older API). */
  limits?: JobTypeLimits;
}

type LimitPair = { concurrency?: number; rate?: { limit: number; periodMs: number } };

/** The `limits` of a `/v1/job-types` item. */
export interface JobTypeLimits {
  effective: LimitPair & {
    perOwner?: LimitPair;
    perKey?: LimitPair & { key: string };
    fairKey?: string;
  };
  source: 'definition' | 'override' | 'none';
  running: number | null;
  waiting: number;
  fairWaiting: number;
}

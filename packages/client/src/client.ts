import {
  jobStreamPlan,
  openStream,
  ownerStreamPlan,
  type ConveyorEvent,
  type JobEvent,
  type AllEventsOptions,
  type StreamOptions,
} from './events.js';
import {
  jobTypeName,
  type JobTypeLike,
  type JobTypeRef,
  type PayloadInput,
  type PayloadOutput,
  type ResultOutput,
} from './job-type.js';
import {
  wireForm,
  type BatchItem,
  type ListJobsFilter,
  type PayloadSearch,
  type SubmitOptions,
} from './requests.js';
import type { Job, JobTypeInfo, Page } from './resources.js';
import { enc, Schedules, type CallOptions } from './schedules.js';
import { Transport } from './transport.js';
import { waitForJob, type WaitOptions } from './wait.js';
import { Workflows } from './workflows.js';

/** How to reach the API and authenticate. Give `token` or `getToken`. */
export interface ConveyorClientOptions {
  /** The API's base URL, e.g. `http://localhost:3000` (routes are below `/v1`). */
  baseUrl: string | URL;
  /** A bearer JWT for every request. @default none: give `getToken` */
  token?: string;
  /**
   * Asked for the bearer token before every request (and every stream reconnect), so an
   * expiring token can be renewed. @default none: give `token`
   */
  getToken?: () => string | Promise<string>;
  /** The `fetch` to use (a proxy agent, a test double of the network). @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Per request: ms until the answer (headers and, for JSON, the body) has arrived, else a
   * `ConveyorNetworkError` with code `TIMEOUT`. Streams and downloads are bounded only until
   * their headers. 0 disables it. @default 30000
   */
  timeoutMs?: number;
}

/** A job given by id, or the job resource itself (which keeps its result type). */
export type JobRef<R = unknown> = string | Job<R, unknown>;

const idOf = (job: JobRef<unknown>) => (typeof job === 'string' ? job : job.id);

/** Every job of the pages `page` answers, from `cursor` on (each page asked for as iterated). */
async function* everyJob(
  cursor: string | undefined,
  page: (cursor: string | undefined) => Promise<Page<Job>>,
): AsyncGenerator<Job, void, undefined> {
  do {
    const next = await page(cursor);
    yield* next.items;
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
}

/**
 * A typed client of the Conveyor HTTP API. Every method throws a {@link ConveyorApiError}
 * subclass for an error answer (with the problem document) and a
 * {@link ConveyorNetworkError} when no answer came.
 *
 * @example
 * const client = new ConveyorClient({ baseUrl: 'http://localhost:3000', token });
 * const job = await client.submit(exportTasks, { userId: 'alice' });
 * const done = await client.wait(job, { timeoutMs: 60_000 });
 * if (done.status === 'succeeded') console.log(done.result?.rows);
 */
export class ConveyorClient {
  /** Cron schedules: list, get, create, update, delete, trigger. */
  readonly schedules: Schedules;
  /** Workflows: submit, get, list, cancel, retry. */
  readonly workflows: Workflows;
  private readonly http: Transport;

  constructor(options: ConveyorClientOptions) {
    const { token, getToken } = options;
    if ((token === undefined) === (getToken === undefined))
      throw new TypeError('ConveyorClient: give exactly one of token and getToken');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function')
      throw new TypeError('ConveyorClient: no fetch available; pass options.fetch');
    this.http = new Transport({
      baseUrl: String(options.baseUrl),
      tokens: token !== undefined ? { token } : { getToken: getToken! },
      fetch: fetchImpl,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    this.schedules = new Schedules(this.http);
    this.workflows = new Workflows(this.http);
  }

  /**
   * Submits a job. Given a job type definition, `payload` is typed by its payload schema's
   * input and the job's `result` by its result schema's output.
   * @returns the job: 202 created, or the first job when `idempotencyKey` was seen before
   * @throws ValidationError with field errors (e.g. `payload.to`) for a bad payload or an unknown type
   * @throws RateLimitedError when the submission limit is reached
   */
  submit<T extends JobTypeLike>(
    type: T,
    payload: PayloadInput<T>,
    opts?: SubmitOptions & CallOptions,
  ): Promise<Job<ResultOutput<T>, PayloadOutput<T>>>;
  submit(type: string, payload: unknown, opts?: SubmitOptions & CallOptions): Promise<Job>;
  submit(type: JobTypeRef, payload: unknown, opts: SubmitOptions & CallOptions = {}): Promise<Job> {
    const { signal, ...rest } = opts;
    return this.http.json({
      method: 'POST',
      path: '/v1/jobs',
      body: wireForm({ ...rest, type: jobTypeName(type), payload }),
      signal,
    });
  }

  /**
   * Submits up to 1000 jobs, all or nothing (use {@link batchItem} for typed items).
   * @throws ValidationError with fields `jobs.<i>.…` when any item is invalid (none is created)
   */
  async submitBatch(jobs: BatchItem[], opts: CallOptions = {}): Promise<Job[]> {
    const body = await this.http.json<{ jobs: Job[] }>({
      method: 'POST',
      path: '/v1/jobs/batch',
      body: { jobs: jobs.map((j) => wireForm({ ...j, type: jobTypeName(j.type) })) },
      signal: opts.signal,
    });
    return body.jobs;
  }

  /** Reads a job. @throws NotFoundError (also for another owner's job) */
  get<R = unknown>(job: JobRef<R>, opts: CallOptions = {}): Promise<Job<R>> {
    return this.http.json({
      method: 'GET',
      path: `/v1/jobs/${enc(idOf(job))}`,
      signal: opts.signal,
    });
  }

  /** The caller's jobs (admins: everyone's), newest first, fetched page by page as iterated. */
  list<T extends JobTypeLike>(
    filter: ListJobsFilter & { type: T },
    opts?: CallOptions,
  ): AsyncGenerator<Job<ResultOutput<T>, PayloadOutput<T>>, void, undefined>;
  list(filter?: ListJobsFilter, opts?: CallOptions): AsyncGenerator<Job, void, undefined>;
  list(filter: ListJobsFilter = {}, opts: CallOptions = {}): AsyncGenerator<Job, void, undefined> {
    return everyJob(filter.cursor, (cursor) => this.jobsPage({ ...filter, cursor }, {}, opts));
  }

  /** One page of {@link list}; pass its `nextCursor` as `cursor` for the next. */
  listPage<T extends JobTypeLike>(
    filter: ListJobsFilter & { type: T },
    opts?: CallOptions,
  ): Promise<Page<Job<ResultOutput<T>, PayloadOutput<T>>>>;
  listPage(filter?: ListJobsFilter, opts?: CallOptions): Promise<Page<Job>>;
  listPage(filter: ListJobsFilter = {}, opts: CallOptions = {}): Promise<Page<Job>> {
    return this.jobsPage(filter, {}, opts);
  }

  /**
   * The caller's jobs (admins: everyone's) whose payload holds what `query` looks for (a
   * value at a path, words, or both), newest first, fetched page by page as iterated;
   * `filter` narrows them as in {@link list}. Jobs created before their type declared the
   * path, or before search existed and not backfilled, are not found.
   * @example
   * for await (const job of client.search({ field: 'to', value: 'ann@example.com' }, { status: 'failed' }))
   *   console.log(job.id);
   * @throws ValidationError naming `field`, `value` or `text` for a malformed search
   */
  search<T extends JobTypeLike>(
    query: PayloadSearch,
    filter: ListJobsFilter & { type: T },
    opts?: CallOptions,
  ): AsyncGenerator<Job<ResultOutput<T>, PayloadOutput<T>>, void, undefined>;
  search(
    query: PayloadSearch,
    filter?: ListJobsFilter,
    opts?: CallOptions,
  ): AsyncGenerator<Job, void, undefined>;
  search(
    query: PayloadSearch,
    filter: ListJobsFilter = {},
    opts: CallOptions = {},
  ): AsyncGenerator<Job, void, undefined> {
    return everyJob(filter.cursor, (cursor) => this.jobsPage({ ...filter, cursor }, query, opts));
  }

  /**
   * One page of {@link search}; pass its `nextCursor` as `cursor` for the next.
   * @throws ValidationError naming `field`, `value` or `text` for a malformed search
   */
  searchPage<T extends JobTypeLike>(
    query: PayloadSearch,
    filter: ListJobsFilter & { type: T },
    opts?: CallOptions,
  ): Promise<Page<Job<ResultOutput<T>, PayloadOutput<T>>>>;
  searchPage(query: PayloadSearch, filter?: ListJobsFilter, opts?: CallOptions): Promise<Page<Job>>;
  searchPage(
    query: PayloadSearch,
    filter: ListJobsFilter = {},
    opts: CallOptions = {},
  ): Promise<Page<Job>> {
    return this.jobsPage(filter, query, opts);
  }

  /** `GET /v1/jobs`: one page of the list, narrowed by a payload search when one is given. */
  private jobsPage(
    filter: ListJobsFilter,
    query: Partial<PayloadSearch>,
    opts: CallOptions,
  ): Promise<Page<Job>> {
    return this.http.json({
      method: 'GET',
      path: '/v1/jobs',
      query: {
        status: filter.status,
        type: filter.type === undefined ? undefined : jobTypeName(filter.type),
        field: query.field,
        value: query.value,
        text: query.text,
        limit: filter.pageSize,
        cursor: filter.cursor,
      },
      signal: opts.signal,
    });
  }

  /**
   * Resolves the job once it is final (succeeded, failed or cancelled), whatever the outcome:
   * check `status`. Listens on the job's event stream and re-reads the job now and then;
   * polls instead when the stream is unavailable.
   * @throws WaitTimeoutError after `timeoutMs`; the signal's reason when it aborts
   */
  wait<R = unknown>(job: JobRef<R>, opts: WaitOptions = {}): Promise<Job<R>> {
    return waitForJob<R>(
      idOf(job),
      {
        events: (id, o) => this.events<R>(id, o),
        get: (id, o) => this.get<R>(id, o),
      },
      opts,
    );
  }

  /**
   * The events of one job as they happen: a `job` snapshot and `lifecycle` and `progress`
   * events. The API reads the snapshot after it subscribed, so an event may come before it,
   * never one older than it after it. The iterator ends once the job is final. A dropped
   * connection is re-opened and brings a fresh snapshot. Stop early with `break` or the signal.
   * @throws NotFoundError when there is no such job of yours
   */
  events<R = unknown>(
    job: JobRef<R>,
    opts: StreamOptions = {},
  ): AsyncGenerator<JobEvent<R>, void, undefined> {
    return openStream(this.http, jobStreamPlan<R>(idOf(job)), opts);
  }

  /**
   * The events of all the caller's jobs and workflows (admins: everyone's) as they happen.
   * Never ends by itself: stop with `break` or the signal. After a reconnect it yields a
   * `reconnected` event, since events during the gap are not replayed. `status` keeps only the
   * lifecycle events of jobs entering those statuses (see {@link AllEventsOptions}).
   * @example
   * for await (const e of client.allEvents({ status: ['succeeded', 'failed'] }))
   *   if (e.type === 'lifecycle') console.log(e.data.jobId, e.data.status);
   */
  allEvents(opts: AllEventsOptions = {}): AsyncGenerator<ConveyorEvent, void, undefined> {
    const { status, ...stream } = opts;
    return openStream(this.http, ownerStreamPlan(status), stream);
  }

  /**
   * Cancels a job: at once when it waits (status `cancelled`), by a signal to its worker when
   * it runs (status still `running`; wait for `cancelled`).
   * @throws ConflictError when it has already finished
   */
  cancel<R = unknown>(job: JobRef<R>, opts: CallOptions = {}): Promise<Job<R>> {
    return this.http.json({
      method: 'POST',
      path: `/v1/jobs/${enc(idOf(job))}/cancel`,
      signal: opts.signal,
    });
  }

  /** Queues a failed or cancelled job again. @throws ConflictError for other states */
  retry<R = unknown>(job: JobRef<R>, opts: CallOptions = {}): Promise<Job<R>> {
    return this.http.json({
      method: 'POST',
      path: `/v1/jobs/${enc(idOf(job))}/retry`,
      signal: opts.signal,
    });
  }

  /** Deletes a finished job and its artifact. @throws ConflictError when not finished */
  async delete(job: JobRef<unknown>, opts: CallOptions = {}): Promise<void> {
    await this.http.json({
      method: 'DELETE',
      path: `/v1/jobs/${enc(idOf(job))}`,
      signal: opts.signal,
    });
  }

  /**
   * Downloads a succeeded job's result: its artifact with its own content type and
   * `Content-Disposition` filename, or the JSON result when it has no artifact. The body
   * streams (`response.body`); the timeout covers only the headers.
   * @throws ConflictError when the job has not succeeded
   */
  result(job: JobRef<unknown>, opts: CallOptions = {}): Promise<Response> {
    return this.http.stream({
      method: 'GET',
      path: `/v1/jobs/${enc(idOf(job))}/result`,
      headers: { accept: '*/*' },
      signal: opts.signal,
    });
  }

  /** The job type catalogue, with each type's payload JSON Schema. */
  jobTypes(opts: CallOptions = {}): Promise<JobTypeInfo[]> {
    return this.http.json({ method: 'GET', path: '/v1/job-types', signal: opts.signal });
  }
}

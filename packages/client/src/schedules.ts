import type { JobTypeRef } from './job-type.js';
import {
  wireForm,
  type CreateScheduleRequest,
  type ListSchedulesFilter,
  type UpdateScheduleRequest,
} from './requests.js';
import type { Job, Page, Schedule, Workflow } from './resources.js';
import type { Transport } from './transport.js';

/** Options of a single call. */
export interface CallOptions {
  /** Aborts the call. @default none */
  signal?: AbortSignal;
}

/** What a trigger started: the schedule's job, or its workflow. */
export type TriggerResult = { kind: 'job'; job: Job } | { kind: 'workflow'; workflow: Workflow };

/** `/v1/schedules`: cron schedules that submit a job or a workflow at each fire time. */
export class Schedules {
  /** @internal */
  constructor(private readonly http: Transport) {}

  /** Every schedule of the caller (admins: everyone's), newest first, page by page. */
  async *list(
    filter: ListSchedulesFilter = {},
    opts: CallOptions = {},
  ): AsyncGenerator<Schedule, void, undefined> {
    let cursor = filter.cursor;
    do {
      const page = await this.page({ ...filter, ...(cursor ? { cursor } : {}) }, opts);
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** One page of schedules. */
  page(filter: ListSchedulesFilter = {}, opts: CallOptions = {}): Promise<Page<Schedule>> {
    return this.http.json({
      method: 'GET',
      path: '/v1/schedules',
      query: { limit: filter.pageSize, cursor: filter.cursor },
      signal: opts.signal,
    });
  }

  /** A schedule with its next five fire times. @throws NotFoundError */
  get(id: string, opts: CallOptions = {}): Promise<Schedule> {
    return this.http.json({ method: 'GET', path: `/v1/schedules/${enc(id)}`, signal: opts.signal });
  }

  /**
   * Creates a schedule. The job template (typed when `job.type` is a definition) is checked
   * like a submitted job. @throws ValidationError naming each wrong field (e.g. `cron`)
   */
  create<T extends JobTypeRef>(
    body: CreateScheduleRequest<T>,
    opts: CallOptions = {},
  ): Promise<Schedule> {
    return this.http.json({
      method: 'POST',
      path: '/v1/schedules',
      body: wireForm(body),
      signal: opts.signal,
    });
  }

  /** Changes the given fields; the next fire time is recomputed from now. */
  update<T extends JobTypeRef>(
    id: string,
    patch: UpdateScheduleRequest<T>,
    opts: CallOptions = {},
  ): Promise<Schedule> {
    return this.http.json({
      method: 'PATCH',
      path: `/v1/schedules/${enc(id)}`,
      body: wireForm(patch),
      signal: opts.signal,
    });
  }

  /** Deletes a schedule (the jobs it created stay). @throws NotFoundError */
  async delete(id: string, opts: CallOptions = {}): Promise<void> {
    await this.http.json({
      method: 'DELETE',
      path: `/v1/schedules/${enc(id)}`,
      signal: opts.signal,
    });
  }

  /**
   * Submits the schedule's job or workflow now (its next fire time stays). Draws from the
   * submission limit. @throws RateLimitedError
   */
  async trigger(id: string, opts: CallOptions = {}): Promise<TriggerResult> {
    const body = await this.http.json<Job | Workflow>({
      method: 'POST',
      path: `/v1/schedules/${enc(id)}/trigger`,
      signal: opts.signal,
    });
    return 'steps' in body && 'root' in body
      ? { kind: 'workflow', workflow: body }
      : { kind: 'job', job: body as Job };
  }
}

/** A path segment. */
export const enc = (id: string) => encodeURIComponent(id);

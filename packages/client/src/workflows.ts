import { wireForm, type ListWorkflowsFilter, type WorkflowRequest } from './requests.js';
import type { Page, Workflow } from './resources.js';
import { enc, type CallOptions } from './schedules.js';
import type { Transport } from './transport.js';

/** `/v1/workflows`: chains, groups and chords of jobs. */
export class Workflows {
  /** @internal */
  constructor(private readonly http: Transport) {}

  /**
   * Submits a workflow; every step's payload is checked before anything is created.
   * @throws ValidationError with a field per wrong step (e.g. `workflow.chain.1.payload.to`)
   */
  submit(body: WorkflowRequest, opts: CallOptions = {}): Promise<Workflow> {
    return this.http.json({
      method: 'POST',
      path: '/v1/workflows',
      body: wireForm(body),
      signal: opts.signal,
    });
  }

  /** A workflow with every step's state and job id. @throws NotFoundError */
  get(id: string, opts: CallOptions = {}): Promise<Workflow> {
    return this.http.json({ method: 'GET', path: `/v1/workflows/${enc(id)}`, signal: opts.signal });
  }

  /** The caller's workflows, newest first, page by page. */
  async *list(
    filter: ListWorkflowsFilter = {},
    opts: CallOptions = {},
  ): AsyncGenerator<Workflow, void, undefined> {
    let cursor = filter.cursor;
    do {
      const page = await this.page({ ...filter, ...(cursor ? { cursor } : {}) }, opts);
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** One page of workflows. */
  page(filter: ListWorkflowsFilter = {}, opts: CallOptions = {}): Promise<Page<Workflow>> {
    return this.http.json({
      method: 'GET',
      path: '/v1/workflows',
      query: { status: filter.status, limit: filter.pageSize, cursor: filter.cursor },
      signal: opts.signal,
    });
  }

  /** Cancels: nothing further starts, running steps are cancelled. @throws ConflictError when finished */
  cancel(id: string, opts: CallOptions = {}): Promise<Workflow> {
    return this.http.json({
      method: 'POST',
      path: `/v1/workflows/${enc(id)}/cancel`,
      signal: opts.signal,
    });
  }

  /** Runs the failed, cancelled and never-run steps again. @throws ConflictError when not failed or cancelled */
  retry(id: string, opts: CallOptions = {}): Promise<Workflow> {
    return this.http.json({
      method: 'POST',
      path: `/v1/workflows/${enc(id)}/retry`,
      signal: opts.signal,
    });
  }
}

import { isTerminal, JOB_STATUSES, jobStatusSchema, type JobStatus } from '@conveyor/contracts';
import { z } from 'zod';
import { toJobResource } from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN } from '../http/schemas.js';
import type { JobStreamEvent } from './hub.js';
import { openEventStream, type EventStream } from './stream.js';

function writeEvent(event: JobStreamEvent, stream: EventStream): void {
  // n.b. workflow events are named by status: `workflow.running`, `workflow.succeeded`, ...
  const name = event.kind === 'workflow' ? `workflow.${event.env.data.status}` : event.kind;
  stream.write(name, { ...event.env.data, occurredAt: event.env.occurredAt }, event.env.id);
}

/** SSE of one job (`GET /v1/jobs/:id/events`). */
const sse = {
  description: 'Server-sent events (`text/event-stream`)',
  contentType: 'text/event-stream',
  schema: { type: 'string' },
};

export function jobEventRoutes(deps: ApiDeps): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/jobs/{id}/events',
    tag: 'events',
    summary: 'Live events of one job (SSE): a `job` snapshot, then lifecycle and progress events',
    auth: 'token',
    params: { id: ID_PATTERN },
    responses: { 200: sse },
    handler: async (ctx) => {
      const owner = ownerScope(currentUser(ctx));
      const id = ctx.params['id'] ?? '';
      if (!(await deps.repo.get(id, owner))) throw notFound('job');
      await openEventStream(
        ctx,
        deps.hub,
        { owner, jobId: id },
        {
          // n.b. read again after subscribing: a transition between the two reads is then either
          // in this snapshot or delivered as an event, never lost.
          onOpen: async (stream) => {
            const job = await deps.repo.get(id, owner);
            if (!job) return stream.end();
            stream.write('job', toJobResource(job));
            if (isTerminal(job.status)) stream.end();
          },
          onEvent: (event, stream) => {
            writeEvent(event, stream);
            if (event.kind === 'lifecycle' && isTerminal(event.env.data.status)) stream.end();
          },
        },
      );
    },
  });
}

/**
 * `GET /v1/events` query: `status`, a comma-separated list of job statuses — the stream then
 * carries only the lifecycle events of jobs entering one of them (no progress, no workflow
 * events). A single string only (a repeated parameter is refused).
 */
export const allEventsQuerySchema = z.strictObject({
  status: z
    .string()
    .transform((text, ctx) => {
      const statuses = new Set<JobStatus>();
      for (const part of text.split(',')) {
        const parsed = jobStatusSchema.safeParse(part.trim());
        if (!parsed.success) {
          ctx.addIssue({
            code: 'custom',
            message: `must be a comma-separated list of job statuses (${JOB_STATUSES.join(', ')}); got '${part}'`,
          });
          return z.NEVER;
        }
        statuses.add(parsed.data);
      }
      return statuses;
    })
    .optional()
    .meta({
      type: 'string',
      description: `Only the lifecycle events of jobs entering these statuses, comma-separated (${JOB_STATUSES.join(', ')}); no progress or workflow events. Default: every event.`,
      example: 'succeeded,failed,cancelled',
    }),
});

/** SSE of all the caller's jobs (`GET /v1/events`; admins: everyone's). */
export function allEventRoutes(deps: ApiDeps): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/events',
    tag: 'events',
    summary: 'Live events of all my jobs (admins: everyone’s) as SSE',
    description:
      'Lifecycle, progress and workflow events of all my jobs. `status` keeps only the lifecycle events of jobs entering the statuses listed (for instance `succeeded,failed,cancelled` to watch completions): the API then takes nothing else from the broker for this stream.',
    auth: 'token',
    query: allEventsQuerySchema,
    responses: { 200: sse },
    handler: async (ctx, { query }) => {
      const owner = ownerScope(currentUser(ctx));
      await openEventStream(
        ctx,
        deps.hub,
        { owner, statuses: query.status },
        { onEvent: writeEvent },
      );
    },
  });
}

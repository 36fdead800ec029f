import { Router } from '@koa/router';
import { isTerminal } from '@conveyor/contracts';
import { toJobResource } from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../http/problem.js';
import type { JobStreamEvent } from './hub.js';
import { openEventStream, type EventStream } from './stream.js';

function writeEvent(event: JobStreamEvent, stream: EventStream): void {
  stream.write(event.kind, { ...event.env.data, occurredAt: event.env.occurredAt }, event.env.id);
}

/** SSE of one job (`GET /v1/jobs/:id/events`). */
export function jobEventRoutes(deps: ApiDeps): Router {
  const router = new Router();
  router.get('/:id/events', async (ctx) => {
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
  });
  return router;
}

/** SSE of all the caller's jobs (`GET /v1/events`; admins: everyone's). */
export function allEventRoutes(deps: ApiDeps): Router {
  const router = new Router();
  router.get('/', async (ctx) => {
    const owner = ownerScope(currentUser(ctx));
    await openEventStream(ctx, deps.hub, { owner }, { onEvent: writeEvent });
  });
  return router;
}

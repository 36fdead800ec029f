import { attemptLogsOf } from '@conveyor/jobs/store';
import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN } from '../http/schemas.js';

const attemptDoc = {
  type: 'object',
  properties: {
    attempt: { type: 'integer' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: { type: 'string', format: 'date-time' },
          level: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
          msg: { type: 'string' },
          fields: { type: 'string', description: 'The structured fields, as JSON text' },
        },
        required: ['at', 'level', 'msg'],
      },
    },
    dropped: { type: 'integer', description: 'Lines logged beyond the size limits, not kept' },
    error: {
      type: ['object', 'null'],
      properties: {
        name: { type: 'string' },
        message: { type: 'string' },
        stack: { type: ['string', 'null'] },
      },
      required: ['name', 'message', 'stack'],
    },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['attempt', 'lines', 'dropped', 'error', 'createdAt'],
};

/**
 * `GET /v1/jobs/{id}/attempts`: per attempt, oldest first, the lines its handler logged through
 * `ctx.log` and the stack of the error that ended it (size-capped when stored). Attempts that
 * logged nothing and did not fail have no entry. Another owner's job is 404.
 */
export function jobAttemptRoutes(deps: ApiDeps): AnyRoute {
  return route({
    method: 'get',
    path: '/v1/jobs/{id}/attempts',
    tag: 'jobs',
    summary: 'What each attempt logged, and the stack of the error that ended it',
    auth: 'token',
    params: { id: ID_PATTERN },
    responses: {
      200: {
        description: 'Attempts with logs or an error, oldest first',
        schema: {
          type: 'object',
          properties: { items: { type: 'array', items: attemptDoc } },
          required: ['items'],
        },
      },
    },
    handler: async (ctx) => {
      const id = ctx.params['id'] ?? '';
      const job = await deps.repo.get(id, ownerScope(currentUser(ctx)));
      if (!job) throw notFound('job');
      const docs = await attemptLogsOf(deps.runtime.mongo, id);
      ctx.body = {
        items: docs.map((d) => ({
          attempt: d.attempt,
          lines: d.lines.map((l) => ({
            at: l.at.toISOString(),
            level: l.level,
            msg: l.msg,
            ...(l.fields ? { fields: l.fields } : {}),
          })),
          dropped: d.dropped,
          error: d.error,
          createdAt: d.createdAt.toISOString(),
        })),
      };
    },
  });
}

import { z } from 'zod';
import { searchJobsQuerySchema } from '../jobs/search.js';

type Schema = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });
const ok = (description: string, schema: Schema) => ({ description, content: json(schema) });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const pathParam = (name: string, pattern: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', pattern },
});
const query = (name: string, schema: Schema, description?: string) => ({
  name,
  in: 'query',
  schema,
  ...(description ? { description } : {}),
});
const jobPage = {
  type: 'object',
  properties: {
    items: { type: 'array', items: ref('JobResource') },
    nextCursor: { type: ['string', 'null'] },
  },
};
const deadLetter = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    reason: { type: ['string', 'null'] },
    queue: { type: ['string', 'null'] },
    exchange: { type: ['string', 'null'] },
    routingKey: { type: ['string', 'null'] },
    count: { type: 'integer' },
    firstDeathAt: { type: ['string', 'null'], format: 'date-time' },
    body: { type: 'string' },
    truncated: { type: 'boolean' },
    jobId: { type: ['string', 'null'] },
    type: { type: ['string', 'null'] },
  },
};

/** Query parameters of the job search, from the schema it is validated with. */
function searchParameters(): unknown[] {
  const { properties = {} } = z.toJSONSchema(searchJobsQuerySchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as { properties?: Record<string, Schema> };
  const notes: Record<string, string> = {
    owner: 'Admins only: one owner. Ignored for everyone else, who always see their own jobs.',
    from: 'Created at or after (ISO date or date-time).',
    to: 'Created at or before (ISO date or date-time).',
    q: 'Free text: a job id, an idempotency key or error code (exact), or part of the error message.',
  };
  return Object.entries(properties).map(([name, schema]) => query(name, schema, notes[name]));
}

/** The OpenAPI paths of the endpoints the dashboard reads (merged into the document). */
export function dashboardPaths(): Record<string, Record<string, unknown>> {
  const idParam = pathParam('id', '^[a-f0-9]{24}$');
  const keyParam = pathParam('key', '^[a-f0-9]{24}$');
  const adminOnly = {
    '401': problem('Missing or invalid bearer token'),
    '403': problem('Not an admin'),
  };
  const deadLetterAction = (summary: string, field: string) => ({
    post: {
      summary,
      parameters: [keyParam],
      responses: {
        '200': ok('Done', { type: 'object', properties: { [field]: deadLetter } }),
        ...adminOnly,
        '404': problem('No such message (within the first 1000)'),
      },
    },
  });
  return {
    '/v1/jobs/search': {
      get: {
        summary: 'Search my jobs (admins: anyone’s), newest first, cursor-paged',
        parameters: searchParameters(),
        responses: { '200': ok('A page of jobs', jobPage), '400': problem('Invalid query') },
      },
    },
    '/v1/jobs/{id}/timeline': {
      get: {
        summary: 'The job’s lifecycle events, oldest first',
        parameters: [idParam],
        responses: {
          '200': ok('Timeline', {
            type: 'object',
            properties: {
              jobId: { type: 'string' },
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    status: { type: 'string' },
                    attempt: { type: 'integer' },
                    occurredAt: { type: 'string', format: 'date-time' },
                    error: { type: ['object', 'null'] },
                    runAt: { type: ['string', 'null'], format: 'date-time' },
                    workerId: { type: ['string', 'null'] },
                  },
                },
              },
            },
          }),
          '404': problem('No such job (or not yours)'),
        },
      },
    },
    '/v1/stats/overview': {
      get: {
        summary:
          'Jobs per status, last hour per minute, lanes with depth and oldest queued job, running now, recent failures',
        responses: { '200': { description: 'Overview' } },
      },
    },
    '/v1/stats/queues': {
      get: {
        summary:
          'Work queues, the dead-letter queue and the timeline feed (`role`): messages, ready, unacked, consumers, publish/deliver rates',
        responses: { '200': { description: 'Queues' } },
      },
    },
    '/v1/dead-letters': {
      get: {
        summary: 'Messages in the dead-letter queue with why they died (admins)',
        parameters: [query('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 })],
        responses: {
          '200': ok('Dead letters', {
            type: 'object',
            properties: { items: { type: 'array', items: deadLetter }, total: { type: 'integer' } },
          }),
          '400': problem('Invalid query'),
          ...adminOnly,
        },
      },
    },
    '/v1/dead-letters/{key}/requeue': deadLetterAction(
      'Publish a dead letter again to its exchange and routing key (admins)',
      'requeued',
    ),
    '/v1/dead-letters/{key}/discard': deadLetterAction(
      'Delete a dead letter (admins)',
      'discarded',
    ),
    '/v1/cron/preview': {
      get: {
        summary: 'Next fire times of a cron expression in a time zone',
        parameters: [
          query('cron', { type: 'string' }, '5 fields, or 6 with seconds first'),
          query('timezone', { type: 'string', default: 'UTC' }, 'IANA time zone'),
          query('count', { type: 'integer', minimum: 1, maximum: 20, default: 5 }),
        ],
        responses: {
          '200': ok('Fire times', {
            type: 'object',
            properties: {
              cron: { type: 'string' },
              timezone: { type: 'string' },
              next: { type: 'array', items: { type: 'string', format: 'date-time' } },
            },
          }),
          '400': problem('Invalid cron expression or time zone (field `cron` / `timezone`)'),
        },
      },
    },
    '/v1/schedules/{id}/fires': {
      get: {
        summary: 'The jobs a schedule created, newest first',
        parameters: [idParam, query('limit', { type: 'integer', minimum: 1, maximum: 100 })],
        responses: {
          '200': ok('Fires', jobPage),
          '404': problem('No such schedule (or not yours)'),
        },
      },
    },
  };
}

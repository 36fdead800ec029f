import { z } from 'zod';
import {
  jobResourceSchema,
  jobTypes,
  payloadJsonSchema,
  submitJobSchema,
} from '@conveyor/contracts';
import { listJobsQuerySchema } from '../jobs/list-query.js';
import { webhookSecretPaths } from '../webhooks/openapi.js';
import { dashboardPaths } from './dashboard-paths.js';
import { workflowOpenApi } from '../workflows/openapi.js';

/** The problem document every error answers with (RFC 9457). */
export const problemSchema = z.object({
  type: z.literal('about:blank'),
  title: z.string(),
  status: z.int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  instance: z.string(),
});

type Schema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as Schema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[a-f0-9]{24}$' },
};
const sse = {
  description: 'Server-sent events',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
};

interface Operation {
  summary: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/** Names of the payload schemas in `components.schemas`, by job type. */
export const payloadSchemaName = (type: string) => `Payload.${type}`;

/** The OpenAPI 3.1 document, generated from the same zod schemas the API validates with. */
export function openApiDocument(version = '0.1.0'): Schema {
  const jobOut = { description: 'The job', content: json(ref('JobResource')) };
  const common = {
    '401': problem('Missing or invalid bearer token'),
    '404': problem('No such job (or not yours)'),
  };
  const listQuery = jsonSchema(listJobsQuerySchema, 'input') as {
    properties?: Record<string, Schema>;
  };
  const workflows = workflowOpenApi(problem);
  const paths: Record<string, Record<string, Operation>> = {
    '/v1/jobs': {
      post: {
        summary: 'Submit a job',
        requestBody: { required: true, content: json(ref('SubmitJob')) },
        responses: {
          '202': { description: 'Accepted', content: json(ref('JobResource')) },
          '200': {
            description: 'Idempotency key seen: the first job',
            content: json(ref('JobResource')),
          },
          '400': problem('Invalid request'),
          '413': problem('Body too large'),
          '429': problem('Submission rate limit; see Retry-After'),
        },
      },
      get: {
        summary: 'List jobs, newest first',
        parameters: Object.entries(listQuery.properties ?? {}).map(([name, schema]) => ({
          name,
          in: 'query',
          schema,
        })),
        responses: {
          '200': {
            description: 'A page of jobs',
            content: json({
              type: 'object',
              properties: {
                items: { type: 'array', items: ref('JobResource') },
                nextCursor: { type: ['string', 'null'] },
              },
            }),
          },
          '400': problem('Invalid query'),
        },
      },
    },
    '/v1/jobs/batch': {
      post: {
        summary: 'Submit up to 1000 jobs; all or nothing',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            properties: { jobs: { type: 'array', items: ref('SubmitJob'), maxItems: 1000 } },
            required: ['jobs'],
          }),
        },
        responses: {
          '202': {
            description: 'Accepted',
            content: json({
              type: 'object',
              properties: { jobs: { type: 'array', items: ref('JobResource') } },
            }),
          },
          '400': problem('Invalid jobs (fields `jobs.<i>.<field>`)'),
          '429': problem('Submission rate limit'),
        },
      },
    },
    '/v1/jobs/{id}': {
      get: {
        summary: 'Read a job',
        parameters: [idParam],
        responses: { '200': jobOut, ...common },
      },
      delete: {
        summary: 'Delete a finished job',
        parameters: [idParam],
        responses: { '204': { description: 'Deleted' }, ...common, '409': problem('Not finished') },
      },
    },
    '/v1/jobs/{id}/cancel': {
      post: {
        summary: 'Cancel a job',
        parameters: [idParam],
        responses: { '200': jobOut, '202': jobOut, ...common, '409': problem('Already finished') },
      },
    },
    '/v1/jobs/{id}/retry': {
      post: {
        summary: 'Retry a failed or cancelled job',
        parameters: [idParam],
        responses: { '202': jobOut, ...common, '409': problem('Not failed or cancelled') },
      },
    },
    '/v1/jobs/{id}/events': {
      get: {
        summary: 'Live events of one job (SSE)',
        parameters: [idParam],
        responses: { '200': sse, ...common },
      },
    },
    '/v1/jobs/{id}/result': {
      get: {
        summary: 'Download the artifact, or the JSON result',
        parameters: [idParam],
        responses: {
          '200': { description: 'The artifact or result' },
          ...common,
          '409': problem('Not succeeded'),
        },
      },
    },
    '/v1/events': {
      get: { summary: 'Live events of all my jobs (SSE)', responses: { '200': sse } },
    },
    '/v1/uploads': {
      post: {
        summary: 'Upload a data source file (multipart field `file`)',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  file: { type: 'string', contentMediaType: 'application/octet-stream' },
                },
                required: ['file'],
              },
            },
          },
        },
        responses: {
          '201': {
            description: 'Stored',
            content: json({
              type: 'object',
              properties: {
                uploadId: { type: 'string' },
                filename: { type: 'string' },
                bytes: { type: 'integer' },
                contentType: { type: 'string' },
              },
            }),
          },
          '400': problem('No file'),
          '413': problem('File too large'),
        },
      },
    },
    ...webhookSecretPaths(problem),
    ...(workflows.paths as Record<string, Record<string, Operation>>),
    '/v1/job-types': {
      get: {
        summary: 'Job type catalogue with payload JSON Schemas',
        responses: { '200': { description: 'Catalogue' } },
      },
    },
    '/v1/queues': {
      get: {
        summary: 'Work queue depths and job counts by status',
        responses: { '200': { description: 'Queues' } },
      },
    },
    '/v1/workers': {
      get: {
        summary: 'Workers seen in the last 30 s',
        responses: { '200': { description: 'Workers' } },
      },
    },
  };
  const schemas: Record<string, Schema> = {
    SubmitJob: jsonSchema(submitJobSchema, 'input'),
    JobResource: jsonSchema(jobResourceSchema, 'output'),
    Problem: jsonSchema(problemSchema, 'output'),
    ...workflows.schemas,
  };
  for (const def of Object.values(jobTypes)) {
    const { $schema: _drop, ...payload } = payloadJsonSchema(def);
    schemas[payloadSchemaName(def.name)] = { description: def.description, ...payload };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Conveyor API',
      version,
      description: 'Background jobs over RabbitMQ with state in MongoDB.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: { ...paths, ...dashboardPaths() },
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

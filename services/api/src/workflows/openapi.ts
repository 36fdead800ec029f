import { z } from 'zod';
import { submitWorkflowSchema, workflowResourceSchema } from '@conveyor/contracts';
import { listWorkflowsQuerySchema } from './list-query.js';

type Schema = Record<string, unknown>;

const strip = (schema: z.ZodType, io: 'input' | 'output'): Schema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as Schema;
  return rest;
};

const stepRef = { $ref: '#/components/schemas/WorkflowStep' };

/** The submitted step tree: a job step, or a chain / group / chord of steps (recursive). */
const workflowStepSchema: Schema = {
  description:
    'A job step {type, payload, input?, ...}, or {chain: [steps]}, {group: [steps]}, {chord: {header: [steps], body: step}}',
  oneOf: [
    {
      type: 'object',
      required: ['type'],
      properties: {
        name: { type: 'string' },
        type: { type: 'string', description: 'Any job type of GET /v1/job-types' },
        payload: { description: "Checked against the job type's payload schema" },
        input: {
          type: 'object',
          description: "Where the previous step's result goes (a group's: the results in order)",
          required: ['into'],
          properties: {
            into: { type: 'string', description: 'Dotted payload field, e.g. data.message' },
            select: { type: 'string', description: 'Dotted path into the result; * maps arrays' },
            as: { enum: ['value', 'json'], default: 'value' },
          },
        },
        priority: { type: 'string' },
        maxAttempts: { type: 'integer' },
        timeoutMs: { type: 'integer' },
      },
    },
    {
      type: 'object',
      required: ['chain'],
      properties: { name: { type: 'string' }, chain: { type: 'array', items: stepRef } },
    },
    {
      type: 'object',
      required: ['group'],
      properties: { name: { type: 'string' }, group: { type: 'array', items: stepRef } },
    },
    {
      type: 'object',
      required: ['chord'],
      properties: {
        name: { type: 'string' },
        chord: {
          type: 'object',
          required: ['header', 'body'],
          properties: { header: { type: 'array', items: stepRef }, body: stepRef },
        },
      },
    },
  ],
};

/** The OpenAPI paths and schemas of `/v1/workflows`. */
export function workflowOpenApi(problem: (description: string) => unknown): {
  paths: Record<string, Record<string, unknown>>;
  schemas: Record<string, Schema>;
} {
  const out = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/WorkflowResource' } } },
  });
  const idParam = {
    name: 'id',
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: '^[a-f0-9]{24}$' },
  };
  const query = strip(listWorkflowsQuerySchema, 'input') as { properties?: Record<string, Schema> };
  const submit = strip(submitWorkflowSchema, 'input') as { properties?: Record<string, Schema> };
  return {
    paths: {
      '/v1/workflows': {
        post: {
          summary: 'Submit a workflow (chain, group, chord of jobs; nests)',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/SubmitWorkflow' } },
            },
          },
          responses: {
            '202': out('Accepted; the first steps are queued'),
            '400': problem('Invalid tree, payload or limit (field errors)'),
            '401': problem('Missing or invalid bearer token'),
            '429': problem('Too many submissions'),
          },
        },
        get: {
          summary: 'List my workflows (newest first)',
          parameters: Object.entries(query.properties ?? {}).map(([name, schema]) => ({
            name,
            in: 'query',
            required: false,
            schema,
          })),
          responses: {
            '200': {
              description: 'A page of workflows',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: {
                        type: 'array',
                        items: { $ref: '#/components/schemas/WorkflowResource' },
                      },
                      nextCursor: { type: ['string', 'null'] },
                    },
                  },
                },
              },
            },
            '400': problem('Invalid query'),
          },
        },
      },
      '/v1/workflows/{id}': {
        get: {
          summary: 'A workflow with every step’s state and job id',
          parameters: [idParam],
          responses: {
            '200': out('The workflow'),
            '404': problem('No such workflow (or not yours)'),
          },
        },
      },
      '/v1/workflows/{id}/cancel': {
        post: {
          summary: 'Cancel: nothing further starts, running steps are cancelled',
          parameters: [idParam],
          responses: {
            '200': out('Cancelled'),
            '404': problem('No such workflow'),
            '409': problem('Already finished'),
          },
        },
      },
      '/v1/workflows/{id}/retry': {
        post: {
          summary:
            'Retry a failed or cancelled workflow: only failed and never-run steps run again',
          parameters: [idParam],
          responses: {
            '202': out('Running again'),
            '404': problem('No such workflow'),
            '409': problem('Not failed or cancelled, or steps still stopping'),
          },
        },
      },
    },
    schemas: {
      SubmitWorkflow: { ...submit, properties: { ...submit.properties, workflow: stepRef } },
      WorkflowStep: workflowStepSchema,
      WorkflowResource: strip(workflowResourceSchema, 'output'),
    },
  };
}

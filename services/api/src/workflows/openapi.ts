import { z } from 'zod';
import { submitWorkflowSchema, workflowResourceSchema } from '@conveyor/contracts';

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
      properties: {
        name: { type: 'string' },
        chain: { type: 'array', items: stepRef, minItems: 1 },
      },
    },
    {
      type: 'object',
      required: ['group'],
      properties: {
        name: { type: 'string' },
        group: { type: 'array', items: stepRef, minItems: 1 },
      },
    },
    {
      type: 'object',
      required: ['chord'],
      properties: {
        name: { type: 'string' },
        chord: {
          type: 'object',
          required: ['header', 'body'],
          properties: { header: { type: 'array', items: stepRef, minItems: 1 }, body: stepRef },
        },
      },
    },
  ],
};

/** The component schemas the workflow routes refer to. */
export function workflowSchemas(): Record<string, Schema> {
  const submit = strip(submitWorkflowSchema, 'input') as { properties?: Record<string, Schema> };
  return {
    SubmitWorkflow: { ...submit, properties: { ...submit.properties, workflow: stepRef } },
    WorkflowStep: workflowStepSchema,
    WorkflowResource: strip(workflowResourceSchema, 'output'),
  };
}

import { z } from 'zod';
import { defineJobType } from '../job-type.js';

/** A record field name as users write it (any characters; keys are never stored as-is). */
const field = z.string().min(1).max(200);
const scalar = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);
/** Inline records: flat objects of scalar values. */
export const recordSchema = z.record(z.string().max(200), scalar);
export type DataRecord = z.infer<typeof recordSchema>;

export const DATA_LIMITS = Object.freeze({ inlineRecords: 10_000, steps: 50, limitN: 10_000_000 });

const FILTER_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** One condition: a field and exactly one operator. Numeric comparisons use finite numbers. */
export const filterConditionSchema = z
  .strictObject({
    field,
    eq: scalar.optional(),
    ne: scalar.optional(),
    gt: z.union([z.number(), z.string().max(1000)]).optional(),
    gte: z.union([z.number(), z.string().max(1000)]).optional(),
    lt: z.union([z.number(), z.string().max(1000)]).optional(),
    lte: z.union([z.number(), z.string().max(1000)]).optional(),
    in: z.array(scalar).min(1).max(10_000).optional(),
    contains: z.string().max(1000).optional(),
  })
  .refine((c) => FILTER_OPERATORS.filter((op) => c[op] !== undefined).length === 1, {
    message: `needs exactly one operator of ${FILTER_OPERATORS.join(', ')}`,
  });
export type FilterCondition = z.infer<typeof filterConditionSchema>;

export const cleanStepSchema = z.strictObject({
  op: z.literal('clean'),
  /** Trim surrounding white space of string values. */
  trim: z.boolean().optional(),
  /** Lower-case keys, runs of white space to `_` (keys are trimmed first). */
  normalizeKeys: z.boolean().optional(),
  /** Remove fields whose value is an empty string or null. */
  dropEmpty: z.boolean().optional(),
  /** Drop records identical to an earlier one (after the other clean options). */
  dedupe: z.boolean().optional(),
});
export const filterStepSchema = z.strictObject({
  op: z.literal('filter'),
  where: z.array(filterConditionSchema).min(1).max(100),
});
export const projectStepSchema = z
  .strictObject({
    op: z.literal('project'),
    fields: z.array(field).min(1).max(1000).optional(),
    rename: z.record(field, field).optional(),
  })
  .refine((s) => s.fields !== undefined || s.rename !== undefined, {
    message: 'needs fields, rename or both',
  });
export const AGGREGATE_FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max'] as const;
export const aggregateStepSchema = z.strictObject({
  op: z.literal('aggregate'),
  groupBy: z.array(field).max(20),
  metrics: z
    .array(
      z
        .strictObject({ fn: z.enum(AGGREGATE_FUNCTIONS), field: field.optional(), as: field })
        .refine((m) => m.fn === 'count' || m.field !== undefined, {
          message: 'sum, avg, min and max need a field',
          path: ['field'],
        }),
    )
    .min(1)
    .max(100),
});
export const sortStepSchema = z.strictObject({
  op: z.literal('sort'),
  by: z
    .array(z.strictObject({ field, dir: z.enum(['asc', 'desc']).default('asc') }))
    .min(1)
    .max(20),
});
export const limitStepSchema = z.strictObject({
  op: z.literal('limit'),
  n: z.int().min(0).max(DATA_LIMITS.limitN),
});
export const analyzeStepSchema = z.strictObject({ op: z.literal('analyze') });

export const stepSchema = z.discriminatedUnion('op', [
  cleanStepSchema,
  filterStepSchema,
  projectStepSchema,
  aggregateStepSchema,
  sortStepSchema,
  limitStepSchema,
  analyzeStepSchema,
]);
export type Step = z.infer<typeof stepSchema>;

export const INPUT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export const OUTPUT_FORMATS = ['json', 'ndjson', 'csv', 'xml'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const dataSourceSchema = z.union([
  z.strictObject({ records: z.array(recordSchema).max(DATA_LIMITS.inlineRecords) }),
  z.strictObject({
    uploadId: z.string().regex(/^[a-f0-9]{24}$/, 'must be an upload id'),
    /** Defaults to the format detected from the upload's file name / content type. */
    format: z.enum(INPUT_FORMATS).optional(),
  }),
  z.strictObject({
    /** An artifact of an earlier job of the same owner (e.g. the step before in a workflow). */
    artifactId: z.string().regex(/^[a-f0-9]{24}$/, 'must be an artifact id'),
    /** Defaults to the format detected from the artifact's file name / content type. */
    format: z.enum(INPUT_FORMATS).optional(),
  }),
]);

export const dataProcessPayload = z.strictObject({
  source: dataSourceSchema,
  steps: z.array(stepSchema).max(DATA_LIMITS.steps).default([]),
  output: z.strictObject({ format: z.enum(OUTPUT_FORMATS) }),
});
export type DataProcessPayload = z.infer<typeof dataProcessPayload>;

export const dataProcessResult = z.object({
  recordsIn: z.int(),
  recordsOut: z.int(),
  format: z.enum(OUTPUT_FORMATS),
  artifactId: z.string(),
  bytes: z.int(),
  contentType: z.string(),
});

/** `data.process` — streams records through the step language into an artifact. */
export const dataProcess = defineJobType({
  name: 'data.process',
  description:
    'Cleans, filters, projects, aggregates, sorts, limits or analyzes records into json/ndjson/csv/xml.',
  queue: 'processor',
  defaults: { timeoutMs: 30 * 60_000, maxAttempts: 3 },
  payload: dataProcessPayload,
  examples: [
    {
      source: {
        records: [
          { city: 'Berlin', n: '2' },
          { city: 'Paris', n: '3' },
        ],
      },
      steps: [{ op: 'sort', by: [{ field: 'n', dir: 'desc' }] }],
      output: { format: 'csv' },
    },
  ],
  result: dataProcessResult,
  uploadsOf: (p) =>
    'uploadId' in p.source ? [{ field: 'source.uploadId', uploadId: p.source.uploadId }] : [],
  artifactOf: (r) => r.artifactId,
});

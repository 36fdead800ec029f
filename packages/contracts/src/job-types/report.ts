import { z } from 'zod';
import { defineJobType } from '../job-type.js';
import { emailAddressSchema, headerTextSchema } from '../email-address.js';
import { EMAIL_LIMITS } from './email.js';

export const REPORT_LIMITS = Object.freeze({
  titleLength: 200,
  tableRows: 200,
  /** Categories drawn in a chart; the rest are summed into "other". */
  chartCategories: 40,
  periodDays: 366,
});

const objectId = z.string().regex(/^[a-f0-9]{24}$/, 'must be a job id');
const field = z.string().min(1).max(200);

/** A chart of the records: one bar / point per distinct `x`, height = sum of `y` (or count). */
export const reportChartSchema = z.strictObject({
  type: z.enum(['bar', 'line']).default('bar'),
  /** The category field. */
  x: field,
  /** The numeric field summed per category; absent = count of records. */
  y: field.optional(),
});

export const reportSourceSchema = z.union([
  /** The artifact of one of the owner's succeeded `data.process` jobs (json, ndjson or csv). */
  z.strictObject({ jobId: objectId }),
  /** The owner's own jobs created in the last `periodDays` days. */
  z.strictObject({
    jobStats: z.strictObject({
      periodDays: z.int().min(1).max(REPORT_LIMITS.periodDays).default(7),
    }),
  }),
]);

export const reportGeneratePayload = z.strictObject({
  title: headerTextSchema(REPORT_LIMITS.titleLength).pipe(z.string().min(1)),
  source: reportSourceSchema,
  /** Required for a `jobId` source; a `jobStats` report always charts jobs per day. */
  chart: reportChartSchema.optional(),
  /** Rows of the table printed (the figures and chart always cover every record). */
  tableRows: z.int().min(0).max(REPORT_LIMITS.tableRows).default(50),
  /** Also store the chart's data as CSV (`result.csvArtifactId`). */
  csv: z.boolean().default(false),
  /**
   * Mail the PDF when it is ready: an `email.send` job with the report attached, to `to` or
   * else to the owner's address.
   */
  email: z
    .strictObject({
      to: z.array(emailAddressSchema).min(1).max(EMAIL_LIMITS.recipients).optional(),
      subject: headerTextSchema(EMAIL_LIMITS.subjectLength).pipe(z.string().min(1)).optional(),
    })
    .optional(),
});
export type ReportGeneratePayload = z.infer<typeof reportGeneratePayload>;

export const reportGenerateResult = z.object({
  artifactId: z.string(),
  contentType: z.literal('application/pdf'),
  bytes: z.int(),
  /** Records (or jobs) the report covers. */
  records: z.int(),
  csvArtifactId: z.string().optional(),
  /** The `email.send` job that mails the report. */
  emailJobId: z.string().optional(),
});

/** `report.generate` — a PDF report (figures, table, chart) of a data artifact or of job statistics. */
export const reportGenerate = defineJobType({
  name: 'report.generate',
  description:
    "Builds a PDF report (summary figures, table, bar or line chart) from a data.process artifact or the owner's job statistics; optional CSV and email.",
  queue: 'processor',
  defaults: { timeoutMs: 10 * 60_000, maxAttempts: 3 },
  payload: reportGeneratePayload.refine((p) => !('jobId' in p.source) || p.chart !== undefined, {
    message: 'a report of a data.process job needs a chart {x, y?}',
    path: ['chart'],
  }),
  result: reportGenerateResult,
  artifactOf: (r) => r.artifactId,
});

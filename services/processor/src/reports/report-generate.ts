import { handle, type Handler, type JobContext, type JobInfo } from '@conveyor/sdk/worker';
import { finished } from 'node:stream/promises';
import { emailSend, reportGenerate, type ReportGeneratePayload } from '@conveyor/contracts';
import { PermanentJobError, type FileStore, type JobRepository } from '@conveyor/jobs';
import { csvRow } from '../data/csv-format.js';
import { reportFromArtifact } from './from-artifact.js';
import { reportFromJobStats } from './from-job-stats.js';
import { renderReportPdf } from './pdf.js';
import type { ReportData } from './report-data.js';
import type { ProcessorMetrics } from '../metrics.js';

/** What the `report.generate` handler needs. */
export interface ReportDeps {
  artifacts: FileStore;
  /** Reads source jobs and job statistics. */
  jobs: JobRepository;
  /** Where stored reports are counted. Default: not counted. */
  metrics?: Pick<ProcessorMetrics, 'reports' | 'reportBytes'>;
}

/** The idempotency key of a report's mailing job: one email per report job. */
export const reportMailKey = (jobId: string) => `report:${jobId}`;

const slug = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'report';

/**
 * The `report.generate` handler: builds the report's data from its source (streamed), draws
 * the PDF straight into a new artifact (and the chart's data as CSV when asked), and, with
 * `email`, submits an `email.send` job that attaches the PDF. A failed attempt deletes what
 * it stored; the next one starts over.
 */
export function reportGenerateHandler(deps: ReportDeps): Handler<typeof reportGenerate> {
  return handle(reportGenerate, async (payload, ctx) => {
    const { job, signal } = ctx;
    const p = payload;
    ctx.progress(5, 'reading the source');
    const data =
      'jobId' in p.source
        ? await reportFromArtifact(p, p.source.jobId, { ...deps, owner: job.owner, signal })
        : await reportFromJobStats(p.title, p.source.jobStats.periodDays, {
            jobs: deps.jobs,
            owner: job.owner,
            signal,
            excludeJobId: job.id,
          });
    ctx.progress(60, 'drawing the PDF');
    const stored: string[] = [];
    try {
      const pdf = deps.artifacts.openWrite(`${slug(p.title)}.pdf`, {
        contentType: 'application/pdf',
        owner: job.owner,
        jobId: job.id,
      });
      stored.push(pdf.id);
      await renderReportPdf(data, pdf.stream);
      const info = await deps.artifacts.find(pdf.id);
      let csvArtifactId: string | undefined;
      if (p.csv) csvArtifactId = await writeCsv(deps.artifacts, job, p, data, stored);
      ctx.progress(90, 'stored');
      const emailJobId = p.email ? await mailReport(ctx, p, deps, data, pdf.id) : undefined;
      deps.metrics?.reports.inc({ source: 'jobId' in p.source ? 'artifact' : 'job-stats' });
      deps.metrics?.reportBytes.inc(info?.length ?? 0);
      return {
        artifactId: pdf.id,
        contentType: 'application/pdf' as const,
        bytes: info?.length ?? 0,
        records: data.records,
        ...(csvArtifactId ? { csvArtifactId } : {}),
        ...(emailJobId ? { emailJobId } : {}),
      };
    } catch (err) {
      for (const id of stored)
        await deps.artifacts.delete(id).catch((deleteErr: unknown) => {
          // n.b. the attempt's own error matters more; the orphan is logged for the purge
          ctx.log.warn({ err: deleteErr, artifactId: id }, 'could not delete a partial artifact');
        });
      throw err;
    }
  });
}

async function writeCsv(
  artifacts: FileStore,
  job: JobInfo,
  p: ReportGeneratePayload,
  data: ReportData,
  stored: string[],
): Promise<string> {
  const csv = artifacts.openWrite(`${slug(p.title)}.csv`, {
    contentType: 'text/csv; charset=utf-8',
    owner: job.owner,
    jobId: job.id,
  });
  stored.push(csv.id);
  csv.stream.write(csvRow(['category', 'value']));
  data.chart.labels.forEach((label, i) =>
    csv.stream.write(csvRow([label, data.chart.values[i] ?? 0])),
  );
  csv.stream.end();
  await finished(csv.stream);
  return csv.id;
}

/** Submits the `email.send` job that mails the PDF (once per report job). */
async function mailReport(
  ctx: JobContext,
  p: ReportGeneratePayload,
  deps: ReportDeps,
  data: ReportData,
  artifactId: string,
): Promise<string> {
  const { job } = ctx;
  const email = p.email!;
  const to = email.to ?? (job.ownerEmail ? [job.ownerEmail] : []);
  if (to.length === 0)
    throw new PermanentJobError(
      'email.to is not given and the owner has no address (token claim email)',
      'REPORT_NO_RECIPIENT',
    );
  const payload = emailSend.payload.parse({
    to,
    subject: email.subject ?? `Report: ${data.title}`,
    text: [
      data.title,
      data.subtitle,
      '',
      ...data.figures.map((f) => `${f.label}: ${f.value}`),
      '',
      'The report is attached as a PDF.',
    ].join('\n'),
    attachments: [{ artifactId, filename: `${slug(data.title)}.pdf` }],
  });
  // n.b. one email per report job (the key); an unconfirmed dispatch is the outbox sweeper's
  const mail = await ctx.submit(emailSend, payload, {
    priority: job.priority,
    idempotencyKey: reportMailKey(job.id),
  });
  return mail.id;
}

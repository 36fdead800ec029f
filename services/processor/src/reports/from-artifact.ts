import { REPORT_LIMITS, type ReportGeneratePayload } from '@conveyor/contracts';
import { PermanentJobError, type FileStore, type JobRepository } from '@conveyor/jobs';
import { readRecords } from '../data/read.js';
import { toFiniteNumber } from '../data/numbers.js';
import { CategorySums, formatNumber, type ReportData } from './report-data.js';

const MAX_COLUMNS = 8;
const FORMATS = { json: 'json', ndjson: 'ndjson', csv: 'csv' } as const;

/**
 * Report data of a succeeded `data.process` job's artifact, read as a stream: the chart sums
 * `y` (or counts) per `x`, the figures cover every record, the table keeps the first rows.
 */
export async function reportFromArtifact(
  p: ReportGeneratePayload,
  jobId: string,
  deps: { jobs: JobRepository; artifacts: FileStore; owner: string; signal: AbortSignal },
): Promise<ReportData> {
  const chart = p.chart;
  if (!chart)
    throw new PermanentJobError('a report of a data.process job needs a chart', 'INVALID_PAYLOAD');
  const source = await deps.jobs.get(jobId, deps.owner);
  if (!source || source.type !== 'data.process' || source.status !== 'succeeded')
    throw new PermanentJobError(
      `job ${jobId} is not a succeeded data.process job of yours`,
      'REPORT_SOURCE_MISSING',
    );
  const result = JSON.parse(source.result ?? 'null') as { artifactId?: string; format?: string };
  const format = FORMATS[(result.format ?? '') as keyof typeof FORMATS];
  if (!result.artifactId || !format)
    throw new PermanentJobError(
      `job ${jobId} wrote ${result.format ?? 'no'} output; reports read json, ndjson or csv`,
      'REPORT_SOURCE_FORMAT',
    );
  if (!(await deps.artifacts.find(result.artifactId, deps.owner)))
    throw new PermanentJobError(`the artifact of job ${jobId} is gone`, 'REPORT_SOURCE_MISSING');

  const sums = new CategorySums(REPORT_LIMITS.chartCategories);
  const columns: string[] = [];
  const rows: Record<string, unknown>[] = [];
  let records = 0;
  let total = 0;
  let numeric = 0;
  let min = Infinity;
  let max = -Infinity;
  for await (const record of readRecords(deps.artifacts.openRead(result.artifactId), format)) {
    deps.signal.throwIfAborted();
    records++;
    const category = record[chart.x];
    const label = category === undefined || category === null ? '(none)' : String(category);
    let value = 1;
    if (chart.y !== undefined) {
      const n = toFiniteNumber(record[chart.y]);
      value = n ?? 0;
      if (n !== null) {
        numeric++;
        total += n;
        min = Math.min(min, n);
        max = Math.max(max, n);
      }
    }
    sums.add(label, value);
    if (rows.length < p.tableRows) {
      rows.push(record);
      for (const key of Object.keys(record))
        if (columns.length < MAX_COLUMNS && !columns.includes(key)) columns.push(key);
    }
  }
  const series = sums.series();
  const figures = [
    { label: 'Records', value: String(records) },
    { label: `Distinct ${chart.x}`, value: String(series.labels.length) },
  ];
  if (chart.y !== undefined)
    figures.push(
      { label: `Total ${chart.y}`, value: formatNumber(total) },
      { label: `Mean ${chart.y}`, value: numeric > 0 ? formatNumber(total / numeric) : '-' },
      { label: `Min ${chart.y}`, value: numeric > 0 ? formatNumber(min) : '-' },
      { label: `Max ${chart.y}`, value: numeric > 0 ? formatNumber(max) : '-' },
    );
  return {
    title: p.title,
    subtitle: `From job ${jobId} (data.process, ${format}), ${records} records`,
    figures,
    chart: {
      type: chart.type,
      title: chart.y !== undefined ? `${chart.y} by ${chart.x}` : `records by ${chart.x}`,
      ...series,
    },
    table: {
      title: records > rows.length ? `First ${rows.length} records` : 'Records',
      columns,
      rows: rows.map((r) =>
        columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))),
      ),
      omitted: records - rows.length,
    },
    records,
  };
}

import { inertContext } from '@conveyor/jobs/testing';
import { writeFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose, { type Connection } from 'mongoose';
import { reportGenerate, type ReportGeneratePayload } from '@conveyor/contracts';
import { FileStore, JobRepository, PermanentJobError, type JobContext } from '@conveyor/jobs';
import { createLogger } from '@conveyor/platform';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import { CHART_BOX } from './pdf.js';
import { inkShare, pdfPages, pdfText, renderPage } from './pdf-tools.js';
import { reportGenerateHandler } from './report-generate.js';

let conn: Connection;
let artifacts: FileStore;
let jobs: JobRepository;
let seq = 0;

beforeAll(async () => {
  const { mongoUrl } = await infra();
  conn = await mongoose.createConnection(mongoUrlForDb(mongoUrl, uniqueName('report'))).asPromise();
  artifacts = new FileStore(conn, 'artifacts');
  jobs = new JobRepository(conn);
  await jobs.ensureIndexes();
});

afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

async function read(id: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of artifacts.openRead(id)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A succeeded data.process job of `owner` whose artifact holds `ndjson` (test fixture). */
async function dataJob(ndjson: string, owner = 'alice'): Promise<string> {
  const { job } = await jobs.create({
    type: 'data.process',
    payload: { source: { records: [] }, steps: [], output: { format: 'ndjson' } },
    priority: 'normal',
    owner,
    maxAttempts: 1,
    timeoutMs: 10_000,
    runAt: new Date(),
  });
  const id = job._id.toHexString();
  const file = artifacts.openWrite(`${id}.ndjson`, {
    contentType: 'application/x-ndjson',
    owner,
    jobId: id,
  });
  file.stream.end(ndjson);
  await finished(file.stream);
  // n.b. the fixture skips the worker: the state a finished data.process job has
  await jobs.model.updateOne(
    { _id: job._id },
    {
      $set: {
        status: 'succeeded',
        finishedAt: new Date(),
        result: JSON.stringify({
          artifactId: file.id,
          format: 'ndjson',
          recordsIn: 0,
          recordsOut: 0,
          bytes: 0,
          contentType: 'application/x-ndjson',
        }),
      },
    },
  );
  return id;
}

function run(payload: unknown, owner = 'alice') {
  const id = (++seq).toString(16).padStart(24, 'f');
  const ctx: JobContext<ReportGeneratePayload> = {
    job: {
      id,
      type: reportGenerate.name,
      attempt: 1,
      maxAttempts: 3,
      owner,
      ownerEmail: null,
      priority: 'normal',
      payload: reportGenerate.payload.parse(payload),
      createdAt: new Date(),
      scheduleId: null,
      correlationId: id,
    },
    signal: new AbortController().signal,
    progress: () => undefined,
    log: createLogger('test', 'silent'),
    ...inertContext(),
  };
  return reportGenerateHandler({ artifacts, jobs }).handle(ctx);
}

describe('report.generate', () => {
  it('reports a data.process artifact: figures, table and a bar chart in a valid PDF, plus CSV', async () => {
    const cities = ['Berlin', 'Paris', 'Rome', 'Madrid'];
    const lines: string[] = [];
    let total = 0;
    for (let i = 0; i < 400; i++) {
      const amount = (i % 7) + 1;
      total += amount;
      lines.push(JSON.stringify({ city: cities[i % 4], amount: String(amount), n: i }));
    }
    const source = await dataJob(`${lines.join('\n')}\n`);
    const result = await run({
      title: 'Sales by city',
      source: { jobId: source },
      chart: { type: 'bar', x: 'city', y: 'amount' },
      tableRows: 30,
      csv: true,
    });
    expect(result).toMatchObject({ contentType: 'application/pdf', records: 400 });
    const pdf = await read(result.artifactId);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    if (process.env.REPORT_SAMPLE_PDF) await writeFile(process.env.REPORT_SAMPLE_PDF, pdf);
    expect(result.bytes).toBe(pdf.length);
    const text = await pdfText(pdf);
    expect(text).toContain('Sales by city');
    expect(text).toMatch(/Records\s[\s\S]*400/);
    expect(text).toContain(String(total)); // total amount
    expect(text).toContain('amount by city');
    expect(text).toContain('First 30 records');
    expect(text).toContain('and 370 more');
    for (const c of cities) expect(text).toContain(c);
    expect(await pdfPages(pdf)).toBeGreaterThanOrEqual(1);

    const page = await renderPage(pdf, 1);
    expect(Math.round(page.width)).toBeGreaterThanOrEqual(595);
    // The chart's region has ink (bars, axes, labels); a margin strip beside it has none.
    expect(inkShare(page, CHART_BOX)).toBeGreaterThan(0.05);
    expect(inkShare(page, { x: 0, y: CHART_BOX.y, width: 40, height: CHART_BOX.height })).toBe(0);

    const csv = (await read(result.csvArtifactId!)).toString('utf8');
    const expected = cities.map((c, i) => {
      let sum = 0;
      for (let j = i; j < 400; j += 4) sum += (j % 7) + 1;
      return `${c},${sum}`;
    });
    expect(csv.trim().split('\r\n')).toEqual(['category,value', ...expected]);
  });

  it("reports an owner's job statistics with a jobs-per-day line of bars", async () => {
    const owner = 'stats-owner';
    const mk = async (type: string, status: 'succeeded' | 'failed' | 'queued') => {
      const { job } = await jobs.create({
        type,
        payload: {},
        priority: 'normal',
        owner,
        maxAttempts: 1,
        timeoutMs: 1000,
        runAt: new Date(),
      });
      if (status !== 'queued')
        await jobs.model.updateOne(
          { _id: job._id },
          { $set: { status, startedAt: new Date(Date.now() - 250), finishedAt: new Date() } },
        );
    };
    for (let i = 0; i < 5; i++) await mk('demo.count', 'succeeded');
    for (let i = 0; i < 2; i++) await mk('email.send', 'failed');
    await mk('email.send', 'succeeded');
    await mk('data.process', 'queued');
    await mk('demo.count', 'succeeded').then(() => undefined);
    // someone else's job is not counted
    await jobs.create({
      type: 'demo.count',
      payload: {},
      priority: 'normal',
      owner: 'other',
      maxAttempts: 1,
      timeoutMs: 1000,
      runAt: new Date(),
    });

    const result = await run(
      { title: 'Weekly jobs', source: { jobStats: { periodDays: 7 } } },
      owner,
    );
    expect(result.records).toBe(10);
    const pdf = await read(result.artifactId);
    const text = await pdfText(pdf);
    expect(text).toContain('Weekly jobs');
    expect(text).toMatch(/Jobs\s+Succeeded\s+Failed\s+Cancelled\s+Pending\s+Success rate/);
    expect(text).toMatch(/10\s+7\s+2\s+0\s+1\s+77\.78%/);
    expect(text).toContain('jobs per day');
    expect(text).toMatch(/demo\.count\s+6\s+6\s+0/);
    expect(text).toMatch(/email\.send\s+3\s+1\s+2/);
    const page = await renderPage(pdf, 1);
    expect(inkShare(page, CHART_BOX)).toBeGreaterThan(0.01);
  });

  it('refuses a source job that is not a succeeded data.process job of the owner', async () => {
    const foreign = await dataJob('{"a":1}\n', 'mallory');
    await expect(
      run({ title: 'x', source: { jobId: foreign }, chart: { x: 'a' } }),
    ).rejects.toBeInstanceOf(PermanentJobError);
    expect(
      reportGenerate.payload.safeParse({ title: 'x', source: { jobId: foreign } }).success,
    ).toBe(false);
  });
});

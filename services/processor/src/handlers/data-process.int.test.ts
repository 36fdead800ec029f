import { inertContext } from '@conveyor/jobs/testing';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose, { type Connection } from 'mongoose';
import { dataProcess, type OutputFormat } from '@conveyor/contracts';
import { FileStore, JobCancelledError, PermanentJobError, type JobContext } from '@conveyor/jobs';
import { createLogger } from '@conveyor/platform';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import { dataProcessHandler } from './data-process.js';

type Payload = JobContext<ReturnType<typeof dataProcess.payload.parse>>['job']['payload'];

let conn: Connection;
let uploads: FileStore;
let artifacts: FileStore;
let jobSeq = 0;

beforeAll(async () => {
  const { mongoUrl } = await infra();
  conn = await mongoose.createConnection(mongoUrlForDb(mongoUrl, uniqueName('proc'))).asPromise();
  uploads = new FileStore(conn, 'uploads');
  artifacts = new FileStore(conn, 'artifacts');
});

afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

async function upload(
  body: string | Buffer,
  filename: string,
  contentType: string,
  owner = 'alice',
): Promise<string> {
  const { id, stream } = uploads.openWrite(filename, { contentType, owner });
  stream.end(body);
  await finished(stream);
  return id;
}

async function readArtifact(id: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of artifacts.openRead(id)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function chunkCount(): Promise<number> {
  return conn.db!.collection('artifacts.chunks').countDocuments({});
}

interface Run {
  jobId: string;
  progress: number[];
  promise: ReturnType<ReturnType<typeof dataProcessHandler>['handle']>;
}

function run(
  payload: unknown,
  options: { owner?: string; signal?: AbortSignal; onProgress?: (p: number) => void } = {},
): Run {
  const jobId = (++jobSeq).toString(16).padStart(24, '0');
  const progress: number[] = [];
  const ctx: JobContext<Payload> = {
    job: {
      id: jobId,
      type: dataProcess.name,
      attempt: 1,
      maxAttempts: 3,
      owner: options.owner ?? 'alice',
      ownerEmail: null,
      priority: 'normal',
      payload: dataProcess.payload.parse(payload),
      createdAt: new Date(),
      scheduleId: null,
      correlationId: jobId,
    },
    signal: options.signal ?? new AbortController().signal,
    progress: (percent) => {
      progress.push(percent);
      options.onProgress?.(percent);
    },
    log: createLogger('processor-test', 'silent'),
    ...inertContext(),
  };
  return { jobId, progress, promise: dataProcessHandler({ uploads, artifacts }).handle(ctx) };
}

async function rejection(promise: Promise<unknown>): Promise<PermanentJobError> {
  const err = await promise.then(
    () => new Error('expected the job to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PermanentJobError);
  return err as PermanentJobError;
}

const CSV =
  '\uFEFF Name , City,Amount,Note\r\n' +
  '"Doe, Jane",Zürich, 42 ,"said ""hi""\nthen left"\r\n' +
  '\r\n' +
  'Ōtani,東京,1e3,\r\n' +
  'Grace,Paris,9,\r\n' +
  'Alan,Paris,abc,x\r\n' +
  'Edsger,Lyon,10,\r\n';

const STEPS = [
  { op: 'clean', trim: true, normalizeKeys: true },
  { op: 'filter', where: [{ field: 'amount', gte: 9 }] },
  { op: 'sort', by: [{ field: 'amount', dir: 'asc' }] },
  { op: 'project', fields: ['name', 'amount', 'note'], rename: { amount: 'eur' } },
];

const EXPECTED: Record<OutputFormat, { contentType: string; body: string }> = {
  json: {
    contentType: 'application/json',
    body:
      '[\n{"name":"Grace","eur":"9","note":""},\n{"name":"Edsger","eur":"10","note":""},\n' +
      '{"name":"Doe, Jane","eur":"42","note":"said \\"hi\\"\\nthen left"},\n{"name":"Ōtani","eur":"1e3","note":""}\n]\n',
  },
  ndjson: {
    contentType: 'application/x-ndjson',
    body:
      '{"name":"Grace","eur":"9","note":""}\n{"name":"Edsger","eur":"10","note":""}\n' +
      '{"name":"Doe, Jane","eur":"42","note":"said \\"hi\\"\\nthen left"}\n{"name":"Ōtani","eur":"1e3","note":""}\n',
  },
  csv: {
    contentType: 'text/csv; charset=utf-8',
    body: 'name,eur,note\r\nGrace,9,\r\nEdsger,10,\r\n"Doe, Jane",42,"said ""hi""\nthen left"\r\nŌtani,1e3,\r\n',
  },
  xml: {
    contentType: 'application/xml',
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n<records>\n' +
      '  <record>\n    <name>Grace</name>\n    <eur>9</eur>\n    <note/>\n  </record>\n' +
      '  <record>\n    <name>Edsger</name>\n    <eur>10</eur>\n    <note/>\n  </record>\n' +
      '  <record>\n    <name>Doe, Jane</name>\n    <eur>42</eur>\n    <note>said "hi"\nthen left</note>\n  </record>\n' +
      '  <record>\n    <name>Ōtani</name>\n    <eur>1e3</eur>\n    <note/>\n  </record>\n' +
      '</records>\n',
  },
};

describe('data.process handler', () => {
  it.each(Object.keys(EXPECTED) as OutputFormat[])(
    'turns an uploaded CSV into a %s artifact',
    async (format) => {
      const uploadId = await upload(CSV, 'people.csv', 'application/octet-stream');
      const { jobId, progress, promise } = run({
        source: { uploadId },
        steps: STEPS,
        output: { format },
      });
      const result = await promise;
      const { contentType, body } = EXPECTED[format];
      expect(result).toEqual({
        recordsIn: 5,
        recordsOut: 4,
        format,
        artifactId: expect.any(String),
        bytes: Buffer.byteLength(body),
        contentType,
      });
      expect(await readArtifact(result.artifactId)).toBe(body);
      expect(await artifacts.find(result.artifactId, 'alice')).toMatchObject({
        filename: `${jobId}.${format}`,
        contentType,
        owner: 'alice',
        jobId,
        length: Buffer.byteLength(body),
      });
      expect(progress.at(-1)).toBe(100);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    },
  );

  it('detects the format from the content type, or takes it from the payload', async () => {
    const ndjson = await upload('{"a":1}\n{"a":2}\n', 'export', 'application/x-ndjson');
    const byType = await run({ source: { uploadId: ndjson }, output: { format: 'csv' } }).promise;
    expect(await readArtifact(byType.artifactId)).toBe('a\r\n1\r\n2\r\n');
    const json = await upload('[{"a":true}]', 'export.txt', 'text/plain');
    const given = await run({
      source: { uploadId: json, format: 'json' },
      output: { format: 'ndjson' },
    }).promise;
    expect(await readArtifact(given.artifactId)).toBe('{"a":true}\n');
    const err = await rejection(
      run({ source: { uploadId: json }, output: { format: 'csv' } }).promise,
    );
    expect(err.code).toBe('UNKNOWN_FORMAT');
  });

  it("fails with UPLOAD_NOT_FOUND for another owner's upload or a missing one", async () => {
    const uploadId = await upload(CSV, 'people.csv', 'text/csv', 'bob');
    expect(
      (await rejection(run({ source: { uploadId }, output: { format: 'csv' } }).promise)).code,
    ).toBe('UPLOAD_NOT_FOUND');
    const missing = 'ffffffffffffffffffffffff';
    expect(
      (await rejection(run({ source: { uploadId: missing }, output: { format: 'csv' } }).promise))
        .code,
    ).toBe('UPLOAD_NOT_FOUND');
  });

  it('processes inline records with progress by record', async () => {
    const records = Array.from({ length: 10 }, (_, i) => ({ i, even: i % 2 === 0 }));
    const { progress, promise } = run({
      source: { records },
      steps: [
        { op: 'aggregate', groupBy: ['even'], metrics: [{ fn: 'sum', field: 'i', as: 'sum' }] },
      ],
      output: { format: 'ndjson' },
    });
    const result = await promise;
    expect(result).toMatchObject({ recordsIn: 10, recordsOut: 2 });
    expect(await readArtifact(result.artifactId)).toBe(
      '{"even":true,"sum":20}\n{"even":false,"sum":25}\n',
    );
    expect(progress.slice(0, 2)).toEqual([9.5, 19]);
    expect(progress.at(-1)).toBe(100);
  });

  it('fails invalid input permanently, naming the line, and leaves no artifact', async () => {
    const before = await chunkCount();
    const uploadId = await upload('a,b\n1,2\n3\n', 'bad.csv', 'text/csv');
    const { jobId, promise } = run({ source: { uploadId }, output: { format: 'json' } });
    const err = await rejection(promise);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(/^CSV line 3: /);
    expect(
      await conn.db!.collection('artifacts.files').countDocuments({ 'metadata.jobId': jobId }),
    ).toBe(0);
    expect(await chunkCount()).toBe(before);
  });

  describe('on a large upload', () => {
    const rows = 200_000;
    let uploadId: string;
    let bytes: number;
    beforeAll(async () => {
      const lines = ['id,group,value'];
      for (let i = 0; i < rows; i++) lines.push(`${i},g${i % 10},${(i * 7919) % 1000}`);
      const text = lines.join('\n') + '\n';
      bytes = Buffer.byteLength(text);
      uploadId = await upload(text, 'big.csv', 'text/csv');
    });

    it('reports progress that moves with the bytes read', async () => {
      const { progress, promise } = run({
        source: { uploadId },
        steps: [{ op: 'aggregate', groupBy: ['group'], metrics: [{ fn: 'count', as: 'n' }] }],
        output: { format: 'csv' },
      });
      const result = await promise;
      expect(result).toMatchObject({ recordsIn: rows, recordsOut: 10 });
      // n.b. GridFS delivers 255 KiB chunks: one progress report per chunk at least
      expect(new Set(progress).size).toBeGreaterThan(Math.floor(bytes / (255 * 1024)));
      expect(progress.at(-1)).toBe(100);
    });

    it('stops reading after a limit', async () => {
      const result = await run({
        source: { uploadId },
        steps: [{ op: 'limit', n: 3 }],
        output: { format: 'ndjson' },
      }).promise;
      expect(result.recordsOut).toBe(3);
      expect(result.recordsIn).toBeLessThan(rows / 2);
      expect(await readArtifact(result.artifactId)).toBe(
        '{"id":"0","group":"g0","value":"0"}\n{"id":"1","group":"g1","value":"919"}\n{"id":"2","group":"g2","value":"838"}\n',
      );
    });

    it('rejects with the abort reason and deletes the partial artifact', async () => {
      const before = await chunkCount();
      const controller = new AbortController();
      const reason = new JobCancelledError();
      const { jobId, promise } = run(
        { source: { uploadId }, output: { format: 'ndjson' } },
        { signal: controller.signal, onProgress: (p) => p > 30 && controller.abort(reason) },
      );
      await expect(promise).rejects.toBe(reason);
      expect(
        await conn.db!.collection('artifacts.files').countDocuments({ 'metadata.jobId': jobId }),
      ).toBe(0);
      expect(await chunkCount()).toBe(before);
    });
  });
});

import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OutputFormat } from '@conveyor/contracts';
import { abortable } from './abortable.js';
import { csvParts } from './csv-format.js';
import type { DataRecord } from './record.js';
import { xmlParts } from './xml-format.js';

/** The `Content-Type` of each output format. */
export const CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = Object.freeze({
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml',
});

/** The file name extension of each output format. */
export const FILE_EXTENSIONS: Readonly<Record<OutputFormat, string>> = Object.freeze({
  json: 'json',
  ndjson: 'ndjson',
  csv: 'csv',
  xml: 'xml',
});

/** Options of {@link writeRecords}. */
export interface WriteOptions {
  /** Where CSV output spools records while it learns the header. Default `os.tmpdir()`. */
  tmpDir?: string;
}

/** What {@link writeRecords} wrote. */
export interface WriteResult {
  recordsOut: number;
  /** Bytes written to the output stream. */
  bytes: number;
}

// Bytes gathered before one write to the output: GridFS stores 255 KiB chunks anyway.
const BATCH_BYTES = 64 * 1024;

async function* jsonParts(
  records: AsyncIterable<DataRecord>,
  onRecord: () => void,
): AsyncGenerator<string> {
  let first = true;
  for await (const record of records) {
    onRecord();
    yield (first ? '[\n' : ',\n') + JSON.stringify(record);
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

async function* ndjsonParts(
  records: AsyncIterable<DataRecord>,
  onRecord: () => void,
): AsyncGenerator<string> {
  for await (const record of records) {
    onRecord();
    yield JSON.stringify(record) + '\n';
  }
}

async function* batched(
  parts: AsyncIterable<string | Buffer>,
  result: WriteResult,
): AsyncGenerator<Buffer> {
  let batch = '';
  for await (const part of parts) {
    if (typeof part !== 'string') {
      // n.b. bytes copied from a spool file pass through without decoding
      if (batch.length > 0) {
        const bytes = Buffer.from(batch);
        result.bytes += bytes.length;
        batch = '';
        yield bytes;
      }
      result.bytes += part.length;
      yield part;
      continue;
    }
    batch += part;
    if (batch.length >= BATCH_BYTES) {
      const bytes = Buffer.from(batch);
      result.bytes += bytes.length;
      batch = '';
      yield bytes;
    }
  }
  if (batch.length > 0) {
    const bytes = Buffer.from(batch);
    result.bytes += bytes.length;
    yield bytes;
  }
}

/**
 * Serializes `records` into `out` in the given format and ends it:
 * - `json`: an array, one record per line (`[]` when empty);
 * - `ndjson`: one record per line;
 * - `csv`: RFC 4180 with a header of all keys in order of first appearance (see `csvParts`);
 * - `xml`: `<records><record><field>…` (see `xmlParts`).
 * All output is UTF-8. Backpressure is honoured (records are pulled only as fast as `out`
 * takes them). On failure or abort `out` is destroyed and the records' iteration closed
 * (this waits for the stages to unwind: a stage blocked on its source unblocks only when the
 * source is destroyed); an aborted `signal` rejects with its reason.
 */
export async function writeRecords(
  records: AsyncIterable<DataRecord>,
  format: OutputFormat,
  out: Writable,
  signal: AbortSignal,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const result: WriteResult = { recordsOut: 0, bytes: 0 };
  const onRecord = (): void => {
    result.recordsOut++;
  };
  // n.b. checked here too: csv spools its whole input before the first byte reaches `out`
  const input = abortable(records, signal);
  const parts =
    format === 'json'
      ? jsonParts(input, onRecord)
      : format === 'ndjson'
        ? ndjsonParts(input, onRecord)
        : format === 'csv'
          ? csvParts(input, onRecord, options.tmpDir)
          : xmlParts(input, onRecord);
  let finished: Promise<void> = Promise.resolve();
  async function* tracked(): AsyncGenerator<Buffer> {
    let done = (): void => undefined;
    finished = new Promise((resolve) => (done = resolve));
    try {
      yield* batched(parts, result);
    } finally {
      done();
    }
  }
  try {
    await pipeline(Readable.from(tracked()), out, { signal });
  } catch (err) {
    signal.throwIfAborted();
    throw err;
  } finally {
    // n.b. an abort settles the pipeline at once; wait for the stages to unwind so their
    // temporary files are gone when this returns
    await finished;
  }
  return result;
}

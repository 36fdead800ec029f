import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { finished } from 'node:stream/promises';
import type { DataRecord, Scalar } from './record.js';

const NEEDS_QUOTES = /[",\r\n]/;
// Bytes gathered before one write to the spool file.
const BATCH_BYTES = 64 * 1024;

/** One CSV field (RFC 4180): quoted when it holds `,`, `"`, CR or LF; `null` is empty. */
export function csvField(value: Scalar | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF; a lone empty field is written `""` so it isn't a blank line. */
export function csvRow(values: readonly (Scalar | undefined)[]): string {
  const line = values.map(csvField).join(',');
  return (line === '' && values.length <= 1 ? '""' : line) + '\r\n';
}

/** A stretch of the spool file whose rows all have `fields` fields. */
interface Segment {
  start: number;
  fields: number;
}

/** Appends `pad` before the CRLF of every row in a stretch of our own CSV text. */
class RowPadder {
  private inQuotes = false;
  constructor(private readonly pad: string) {}

  push(text: string): string {
    let out = '';
    let last = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) this.inQuotes = !this.inQuotes;
      // n.b. outside quotes our rows hold no CR but their terminator's
      else if (c === 0x0d && !this.inQuotes) {
        out += text.slice(last, i) + this.pad;
        last = i;
      }
    }
    return out + text.slice(last);
  }
}

/**
 * Serializes records as RFC 4180 CSV (CRLF line ends; see {@link csvField}). The header is
 * the union of all keys in order of first appearance, which is only known at the end, so
 * the rows are first spooled, already encoded, to a temporary file under `tmpDir`; columns
 * are numbered as keys first appear, so a new key only lengthens the rows after it. The
 * header then goes out, followed by the spool: copied as is where rows already have every
 * column (the usual case), with empty fields appended where they have fewer. The file is
 * deleted however the iteration ends.
 */
export async function* csvParts(
  records: AsyncIterable<DataRecord>,
  onRecord: () => void,
  tmpDir: string = tmpdir(),
): AsyncGenerator<string | Buffer> {
  const dir = await mkdtemp(join(tmpDir, 'conveyor-csv-'));
  try {
    const path = join(dir, 'rows.csv');
    const columns = new Map<string, number>();
    const segments: Segment[] = [];
    let size = 0;
    const out = createWriteStream(path);
    try {
      let batch = '';
      for await (const record of records) {
        onRecord();
        const row: Scalar[] = new Array<Scalar>(columns.size).fill(null);
        for (const key of Object.keys(record)) {
          let column = columns.get(key);
          if (column === undefined) {
            column = columns.size;
            columns.set(key, column);
          }
          row[column] = record[key] as Scalar;
        }
        const fields = Math.max(1, row.length);
        if (segments.at(-1)?.fields !== fields)
          segments.push({ start: size + Buffer.byteLength(batch), fields });
        batch += csvRow(row);
        if (batch.length >= BATCH_BYTES) {
          size += Buffer.byteLength(batch);
          if (!out.write(batch)) await once(out, 'drain');
          batch = '';
        }
      }
      size += Buffer.byteLength(batch);
      out.end(batch);
      await finished(out);
    } catch (err) {
      out.destroy();
      throw err;
    }
    if (columns.size === 0) return;
    yield csvRow([...columns.keys()]);
    for (let s = 0; s < segments.length; s++) {
      const { start, fields } = segments[s] as Segment;
      const end = (segments[s + 1]?.start ?? size) - 1;
      const input = createReadStream(path, { start, end, highWaterMark: BATCH_BYTES });
      if (fields === columns.size) {
        yield* input as AsyncIterable<Buffer>;
        continue;
      }
      const padder = new RowPadder(','.repeat(columns.size - fields));
      const decoder = new StringDecoder('utf8');
      for await (const chunk of input as AsyncIterable<Buffer>)
        yield padder.push(decoder.write(chunk));
      yield padder.push(decoder.end());
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

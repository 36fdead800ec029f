import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CsvError, parse } from 'csv-parse';
import type { InputFormat } from '@conveyor/contracts';
import { PermanentJobError } from '@conveyor/jobs';
import { JsonArraySplitter } from './json-array.js';
import { isFlatRecord, newRecord, setField, type DataRecord } from './record.js';

/**
 * Streams records out of `input` (bytes, UTF-8) in the given format, one at a time:
 * - `csv`: RFC 4180; the header row gives the keys; quoted fields may hold commas, quotes and
 *   line breaks; lines may end in CRLF, LF or CR, even mixed; a leading BOM is stripped;
 *   empty lines are skipped; values stay strings.
 * - `json`: an array of flat objects, split element by element (never parsed whole).
 * - `ndjson`: one flat object per line; blank lines are skipped.
 *
 * Invalid input throws a `PermanentJobError` (code `INVALID_INPUT`) naming the line or
 * record. `input` is destroyed when iteration ends, early or not.
 */
export function readRecords(input: Readable, format: InputFormat): AsyncIterable<DataRecord> {
  switch (format) {
    case 'csv':
      return readCsv(input);
    case 'json':
      return readJsonArray(input);
    case 'ndjson':
      return readNdjson(input);
  }
}

function invalid(message: string, cause?: unknown): PermanentJobError {
  return new PermanentJobError(
    message,
    'INVALID_INPUT',
    cause === undefined ? undefined : { cause },
  );
}

async function* readCsv(input: Readable): AsyncGenerator<DataRecord> {
  // n.b. listing the line ends accepts files that mix them; csv-parse would otherwise guess one
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
  });
  // n.b. errors reach us through the iteration below; the callback only completes the contract
  pipeline(input, parser, () => undefined);
  let header: string[] | undefined;
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      if (header === undefined) {
        header = row;
        const seen = new Set<string>();
        for (const name of header) {
          if (seen.has(name)) throw invalid(`CSV line 1: the header repeats the column "${name}"`);
          seen.add(name);
        }
        continue;
      }
      const record = newRecord();
      for (let i = 0; i < header.length; i++)
        setField(record, header[i] as string, row[i] as string);
      yield record;
    }
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw invalid(`CSV line ${line ?? '?'}: ${err.message}`, err);
    }
    throw err;
  } finally {
    parser.destroy();
    input.destroy();
  }
}

function parseRecord(text: string, where: string): DataRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`${where}: invalid JSON (${(err as Error).message})`, err);
  }
  if (!isFlatRecord(value)) {
    throw invalid(`${where}: a record must be an object of strings, numbers, booleans and nulls`);
  }
  return value;
}

async function* readJsonArray(input: Readable): AsyncGenerator<DataRecord> {
  const decoder = new StringDecoder('utf8');
  const splitter = new JsonArraySplitter();
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      for (const el of splitter.push(decoder.write(chunk))) {
        yield parseRecord(el.text, `JSON record ${el.index} (line ${el.line})`);
      }
    }
    for (const el of splitter.push(decoder.end())) {
      yield parseRecord(el.text, `JSON record ${el.index} (line ${el.line})`);
    }
    splitter.end();
  } finally {
    input.destroy();
  }
}

async function* readNdjson(input: Readable): AsyncGenerator<DataRecord> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  const parseLine = (raw: string): DataRecord | null => {
    line++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text.trim() === '' ? null : parseRecord(text, `NDJSON line ${line}`);
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const record = parseLine(text.slice(start, nl));
        start = nl + 1;
        if (record) yield record;
      }
      rest = text.slice(start);
    }
    const record = parseLine(rest + decoder.end());
    if (record) yield record;
  } finally {
    input.destroy();
  }
}

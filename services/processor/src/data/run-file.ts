import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { finished } from 'node:stream/promises';

// Bytes gathered before one write(): fewer, larger writes are much cheaper than one per line.
const BATCH_BYTES = 64 * 1024;

/**
 * Writes values to `path` as NDJSON (one `JSON.stringify` per line), honouring backpressure;
 * resolves once the file is flushed and closed. The format of `sort`'s spilled runs.
 */
export async function writeRunFile(
  path: string,
  values: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<void> {
  const out = createWriteStream(path);
  try {
    let batch = '';
    for await (const value of values) {
      batch += JSON.stringify(value) + '\n';
      if (batch.length >= BATCH_BYTES) {
        if (!out.write(batch)) await once(out, 'drain');
        batch = '';
      }
    }
    out.end(batch);
    await finished(out);
  } catch (err) {
    out.destroy();
    throw err;
  }
}

/**
 * Streams back the values of a file written by {@link writeRunFile}, passed through `map`.
 * The file is our own, so lines are parsed without the validation user input gets. The file
 * is closed when iteration ends, early or not.
 */
export async function* readRunFile<T>(path: string, map: (value: unknown) => T): AsyncGenerator<T> {
  const input = createReadStream(path, { highWaterMark: BATCH_BYTES });
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        yield map(JSON.parse(text.slice(start, nl)));
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.end();
    if (rest.length > 0) throw new Error(`run file ${path} ends inside a line`);
  } finally {
    input.destroy();
  }
}

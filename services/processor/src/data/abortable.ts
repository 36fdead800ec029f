import type { DataRecord } from './record.js';

/**
 * Passes records through, throwing the signal's reason before the first one and between any
 * two as soon as `signal` is aborted. Throwing closes `records`, and so the source.
 */
export async function* abortable(
  records: AsyncIterable<DataRecord>,
  signal: AbortSignal,
): AsyncGenerator<DataRecord> {
  signal.throwIfAborted();
  for await (const record of records) {
    signal.throwIfAborted();
    yield record;
  }
}

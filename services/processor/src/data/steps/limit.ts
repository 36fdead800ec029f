import type { Step } from '@conveyor/contracts';
import type { DataRecord } from '../record.js';

export type LimitStep = Extract<Step, { op: 'limit' }>;

/**
 * The `limit` step: passes the first `n` records and then stops pulling from upstream, which
 * closes it (and so the source stream) without reading the rest.
 */
export async function* limit(
  records: AsyncIterable<DataRecord>,
  step: LimitStep,
): AsyncGenerator<DataRecord> {
  if (step.n === 0) {
    // n.b. never started, but an iterator may hold a resource already: release it
    await records[Symbol.asyncIterator]().return?.();
    return;
  }
  let count = 0;
  for await (const record of records) {
    yield record;
    // n.b. stop before pulling the record after the n-th: returning closes the upstream
    if (++count >= step.n) return;
  }
}

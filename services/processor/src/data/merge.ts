/** A source's current head in the merge heap. */
interface Head<T> {
  value: T;
  source: number;
  it: AsyncIterator<T>;
}

/**
 * k-way merge of sources that are each sorted by `compare`, with a binary min-heap: one value
 * per source in memory. Stable: among equal values, those of an earlier source come first, so
 * merging sorted runs taken in input order yields a stable sort. Every source iterator is
 * closed when the merge ends, early or not.
 */
export async function* mergeSorted<T>(
  sources: readonly AsyncIterable<T>[],
  compare: (a: T, b: T) => number,
): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const heap: Head<T>[] = [];
  const less = (a: Head<T>, b: Head<T>): boolean => {
    const c = compare(a.value, b.value);
    return c < 0 || (c === 0 && a.source < b.source);
  };
  const siftUp = (i: number): void => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i] as Head<T>, heap[parent] as Head<T>)) return;
      [heap[i], heap[parent]] = [heap[parent] as Head<T>, heap[i] as Head<T>];
      i = parent;
    }
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l] as Head<T>, heap[m] as Head<T>)) m = l;
      if (r < heap.length && less(heap[r] as Head<T>, heap[m] as Head<T>)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m] as Head<T>, heap[i] as Head<T>];
      i = m;
    }
  };
  try {
    for (let source = 0; source < iterators.length; source++) {
      const it = iterators[source] as AsyncIterator<T>;
      const first = await it.next();
      if (!first.done) {
        heap.push({ value: first.value, source, it });
        siftUp(heap.length - 1);
      }
    }
    while (heap.length > 0) {
      const top = heap[0] as Head<T>;
      yield top.value;
      const next = await top.it.next();
      if (next.done) {
        const last = heap.pop() as Head<T>;
        if (heap.length === 0) break;
        heap[0] = last;
      } else {
        top.value = next.value;
      }
      siftDown(0);
    }
  } finally {
    await Promise.allSettled(iterators.map((it) => it.return?.()));
  }
}

/** Async iteration over an array or other iterable. */
export async function* fromArray<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** Drains an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

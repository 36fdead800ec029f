/**
 * Deliveries waiting for a free slot. `take()` hands out the highest rank first and, within
 * a rank, the oldest: an urgent job overtakes a backlog of low ones, equal ones keep order.
 */
export class PriorityBuffer<T> {
  private readonly items: { rank: number; seq: number; item: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(rank: number, item: T): void {
    this.items.push({ rank, seq: this.seq++, item });
  }

  /** The next item to start, or undefined when empty. */
  take(): T | undefined {
    if (this.items.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < this.items.length; i++) {
      const a = this.items[i]!;
      const b = this.items[best]!;
      if (a.rank > b.rank || (a.rank === b.rank && a.seq < b.seq)) best = i;
    }
    return this.items.splice(best, 1)[0]!.item;
  }

  /** Removes and returns everything, in no particular order. */
  drain(): T[] {
    return this.items.splice(0).map((e) => e.item);
  }
}

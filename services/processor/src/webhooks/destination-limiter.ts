/**
 * Deliveries in flight per destination (`host:port`) in this process. A destination at its
 * limit is not waited for — the job is retried shortly instead — so one slow receiver holds
 * at most `perDestination` of the worker's slots.
 */
export class DestinationLimiter {
  private readonly inFlight = new Map<string, number>();

  /** @param perDestination deliveries at once per destination (0 = unlimited). */
  constructor(private readonly perDestination: number) {}

  /** Takes a slot; returns its release function, or null when the destination is full. */
  tryAcquire(key: string): (() => void) | null {
    const n = this.inFlight.get(key) ?? 0;
    if (this.perDestination > 0 && n >= this.perDestination) return null;
    this.inFlight.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    };
  }

  /** Deliveries in flight to `key` now. */
  active(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }
}

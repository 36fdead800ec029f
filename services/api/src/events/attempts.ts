/**
 * The newest attempt seen per job, for the last `capacity` jobs: a progress event of an older
 * attempt (a worker that lost its lease and resumed) is stale and must not reach a stream.
 */
export class AttemptTracker {
  private readonly latest = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /** Records `attempt` of `jobId`; false when a newer attempt of the job was seen before. */
  observe(jobId: string, attempt: number): boolean {
    const seen = this.latest.get(jobId);
    if (seen !== undefined && attempt < seen) return false;
    // n.b. delete + set moves the job to the end: the map's order is least recent first
    this.latest.delete(jobId);
    this.latest.set(jobId, Math.max(attempt, seen ?? 0));
    if (this.latest.size > this.capacity) {
      const oldest = this.latest.keys().next().value;
      if (oldest !== undefined) this.latest.delete(oldest);
    }
    return true;
  }
}

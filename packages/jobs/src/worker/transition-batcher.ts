import type { JobDoc } from '../job.model.js';
import type { BatchedTransition, JobRepository } from '../job.repository.js';
import type { TransitionArgs, TransitionName } from '../transitions.js';

interface Pending {
  item: BatchedTransition;
  resolve: (doc: JobDoc | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Groups the transitions a worker writes within one turn of the event loop — the claims and
 * outcomes of its concurrent deliveries — into one `transitionBatch` (two round trips for the
 * group instead of one per job), the way the fastest job queues batch their completions.
 * Each transition keeps its own conditional write and fence: batching changes the round
 * trips, never who wins. A lone claim goes out as one `findOneAndUpdate`.
 */
export class TransitionBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly repo: JobRepository,
    /** Most transitions in one write. @default 200 */
    private readonly maxBatch = 200,
  ) {}

  /**
   * Applies a transition (see the transition table): the job after it, or null when refused.
   * `quiet`: publish no event for it; the caller publishes it (or finds it moot).
   */
  apply<N extends TransitionName>(
    name: N,
    id: string,
    args: TransitionArgs<N>,
    { quiet = false }: { quiet?: boolean } = {},
  ): Promise<JobDoc | null> {
    return new Promise((resolve, reject) => {
      const item = { name, id, args, ...(quiet ? { quiet } : {}) } as BatchedTransition;
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else this.schedule();
    });
  }

  /**
   * {@link apply} to a job this worker holds (`job`: its document as the claim returned it).
   * When every write of the batch lands, the jobs after it are derived from these documents
   * instead of read back (one round trip per batch, not two); see transitionBatch.
   */
  applyTo<N extends TransitionName>(
    name: N,
    job: JobDoc,
    args: TransitionArgs<N>,
    { quiet = false }: { quiet?: boolean } = {},
  ): Promise<JobDoc | null> {
    return new Promise((resolve, reject) => {
      const item = {
        name,
        id: job._id.toHexString(),
        args,
        known: job,
        ...(quiet ? { quiet } : {}),
      } as BatchedTransition;
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // n.b. after the deliveries already read from the socket have queued their writes
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxBatch);
    if (this.pending.length > 0) this.schedule();
    if (batch.length === 0) return;
    const settle = (docs: (JobDoc | null)[]) => batch.forEach((p, i) => p.resolve(docs[i] ?? null));
    const fail = (err: unknown) => batch.forEach((p) => p.reject(err));
    // n.b. a lone write the worker knows the job of (an outcome) is one round trip either way,
    // and the batch path keeps its final event owed in the worker's event ledger
    if (batch.length === 1 && !batch[0]!.item.known) {
      const { item } = batch[0]!;
      this.repo
        .transition(item.name, item.id, item.args as never, { quiet: item.quiet ?? false })
        .then((d) => settle([d]), fail);
      return;
    }
    this.repo.transitionBatch(batch.map((p) => p.item)).then(settle, fail);
  }
}

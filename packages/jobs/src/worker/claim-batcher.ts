import type { TransitionArgs } from '../transitions.js';
import type { JobDoc } from '../job.model.js';
import type { JobRepository } from '../job.repository.js';

interface Pending {
  id: string;
  args: TransitionArgs<'moveToRunning'>;
  resolve: (doc: JobDoc | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Groups the claims a worker makes within one turn of the event loop into one
 * `claimMany` (two round trips for the group instead of one per job), the way the fastest
 * job queues batch their completions. Each claim keeps its own conditional write: batching
 * changes the round trips, never who wins. A lone claim goes out as one `findOneAndUpdate`.
 */
export class ClaimBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly repo: JobRepository,
    /** Most claims in one write. @default 200 */
    private readonly maxBatch = 200,
  ) {}

  /** Claims a job (see `moveToRunning`): the job after the claim, or null when refused. */
  claim(id: string, args: TransitionArgs<'moveToRunning'>): Promise<JobDoc | null> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, args, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // n.b. after the deliveries already read from the socket have queued their claims
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    const settle = (docs: (JobDoc | null)[]) => batch.forEach((p, i) => p.resolve(docs[i] ?? null));
    const fail = (err: unknown) => batch.forEach((p) => p.reject(err));
    if (batch.length === 1) {
      const [only] = batch;
      this.repo.transition('moveToRunning', only!.id, only!.args).then((d) => settle([d]), fail);
      return;
    }
    this.repo.claimMany(batch.map(({ id, args }) => ({ id, args }))).then(settle, fail);
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
}

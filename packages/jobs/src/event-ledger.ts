import { Types, type Connection, type mongo } from 'mongoose';
import { COLLECTIONS } from './collections.js';

/**
 * One window of a worker's final-state writes (collection `event_ledgers`). Every job a
 * worker finishes within the window carries the ledger's id (`JobDoc.eventLedger`), written by
 * the outcome's own write; the ledger is stored before any such write and deleted once every
 * final event of the window is confirmed by the broker. A ledger still stored after the grace
 * means events may be owed: the scheduler's event sweep publishes the final event of each of
 * its jobs again (see JobRepository.publishPendingFinalEvents).
 */
export interface EventLedgerDoc {
  _id: Types.ObjectId;
  /** The writer that opened it (a worker id), for operators. */
  by: string;
  openedAt: Date;
  /** When the event sweep first published its jobs' events (it looks once more, then deletes it). */
  sweptAt?: Date;
  /** How many finished jobs that first sweep found under it. */
  swept?: number;
}

/** Options of {@link EventLedger}. */
export interface EventLedgerOptions {
  /** The writer's name, stored with each ledger. */
  by: string;
  /** How long one ledger takes new writes before the next one opens. @default 250 */
  windowMs?: number;
}

interface Window {
  id: Types.ObjectId;
  openedAt: number;
  /** The ledger's insert: no write may name it before this lands. */
  stored: Promise<void>;
  /** Final events written under it and not yet settled. */
  owed: number;
  /** An event of it was not confirmed (or its write's fate is unknown): the sweep's to finish. */
  failed: boolean;
  closed: boolean;
  retired: boolean;
}

/** The event ledgers' collection on `conn`. */
export const eventLedgers = (conn: Connection): mongo.Collection<EventLedgerDoc> =>
  conn.collection<EventLedgerDoc>(COLLECTIONS.eventLedgers);

/**
 * Keeps a worker's final events owed in the store without a write per job: instead of marking
 * each finished job (`eventPendingAt`) and unsetting the mark once its event is confirmed, the
 * outcome writes of a window (a quarter of a second) name one ledger, stored before the first of
 * them; when the window has closed and all its events are confirmed, the ledger is deleted.
 * Two small writes per window replace one job update per finished job. A worker that dies
 * leaves its last ledgers behind, and the event sweep publishes their jobs' events again
 * (at least once, as before).
 */
export class EventLedger {
  private current: Window | null = null;
  private readonly closing = new Set<Window>();
  private readonly windowMs: number;
  /** Ledgers whose delete failed (the sweep publishes their events again, then deletes them). */
  deleteFailures = 0;

  constructor(
    private readonly conn: Connection,
    private readonly opts: EventLedgerOptions,
  ) {
    this.windowMs = opts.windowMs ?? 250;
  }

  /**
   * The ledger that `count` final-state writes about to be sent belong to; stored before this
   * resolves. Each of them must later be {@link settle}d exactly once.
   */
  async acquire(count: number): Promise<Types.ObjectId> {
    let w = this.current;
    if (!w || Date.now() - w.openedAt >= this.windowMs) w = this.open();
    w.owed += count;
    try {
      await w.stored;
    } catch (err) {
      w.owed -= count;
      throw err;
    }
    return w.id;
  }

  /**
   * Settles one write of ledger `id`: `confirmed` when its final event was confirmed or the
   * write did not land (nothing owed); false when the event may be owed.
   */
  settle(id: Types.ObjectId, confirmed: boolean): void {
    const w = this.find(id);
    if (!w) return;
    w.owed--;
    if (!confirmed) w.failed = true;
    this.retireIfDone(w);
  }

  /** Closes the open ledger and waits for the deletes of the settled ones (at shutdown). */
  async flush(): Promise<void> {
    if (this.current) this.close(this.current);
    await Promise.all([...this.closing].map((w) => w.stored.catch(() => undefined)));
  }

  private open(): Window {
    if (this.current) this.close(this.current);
    const id = new Types.ObjectId();
    const openedAt = Date.now();
    const w: Window = {
      id,
      openedAt,
      owed: 0,
      failed: false,
      closed: false,
      retired: false,
      stored: eventLedgers(this.conn)
        .insertOne({ _id: id, by: this.opts.by, openedAt: new Date(openedAt) })
        .then(() => undefined),
    };
    // n.b. a failed insert fails the writes that waited for it; the next acquire opens another
    w.stored.catch(() => {
      if (this.current === w) this.current = null;
    });
    this.current = w;
    // n.b. closed on time even when no write comes: a ledger open longer than the window
    // would look abandoned to the sweep
    setTimeout(() => {
      if (this.current === w) this.close(w);
    }, this.windowMs).unref();
    return w;
  }

  private close(w: Window): void {
    if (this.current === w) this.current = null;
    w.closed = true;
    this.closing.add(w);
    this.retireIfDone(w);
  }

  private find(id: Types.ObjectId): Window | undefined {
    if (this.current?.id.equals(id)) return this.current;
    for (const w of this.closing) if (!w.retired && w.id.equals(id)) return w;
    return undefined;
  }

  /** A closed ledger with every event settled: deleted, unless one may be owed. */
  private retireIfDone(w: Window): void {
    if (!w.closed || w.owed > 0 || w.retired) return;
    w.retired = true;
    if (w.failed) {
      this.closing.delete(w); // n.b. kept in the store: the event sweep publishes its jobs' events again
      return;
    }
    // n.b. stays in `closing` until deleted, so flush() waits for the delete
    w.stored = w.stored
      .then(() => eventLedgers(this.conn).deleteOne({ _id: w.id }))
      .then(
        () => undefined,
        () => {
          this.deleteFailures++;
        },
      )
      .finally(() => this.closing.delete(w));
  }
}

import { randomUUID } from 'node:crypto';
import { Types, type Connection, type mongo } from 'mongoose';
import {
  newTraceparent,
  searchKeysOf,
  type JobReaction,
  type JobStatus,
  type Priority,
} from '@conveyor/contracts';
import { COLLECTIONS } from './collections.js';
import { jobModel, NOT_RUNNING, type JobDoc, type JobModel } from './job.model.js';
import { JobQueries } from './job.queries.js';
import { insertManySkippingDuplicates, isDuplicateKey } from './duplicate-keys.js';
import { withStoreRetry } from './store-retry.js';
import { FinalEventMarks } from './final-event-marks.js';
import { EventLedger, eventLedgers, type EventLedgerOptions } from './event-ledger.js';
import {
  FINISHED_STATUSES,
  initialStatus,
  TRANSITIONS,
  transitionWrite,
  applyUpdate,
  type TransitionArgs,
  type TransitionName,
} from './transitions.js';

/** What it takes to create a job (already validated). */
export interface NewJob {
  type: string;
  payload: unknown;
  priority: Priority;
  owner: string;
  ownerEmail?: string | null;
  maxAttempts: number;
  timeoutMs: number;
  /** Future = `scheduled`; now or past = `queued`. */
  runAt: Date;
  idempotencyKey?: string | null;
  scheduleId?: string | null;
  correlationId?: string;
  /** The creating span's `traceparent`; a new trace when absent. */
  traceparent?: string | null;
  /** What reacts to the job's final state (see JobDoc.reactions). @default none */
  reactions?: JobReaction[];
  /**
   * The payload paths its type declares searchable (the catalogue entry's `search`).
   * @default every top-level field holding a scalar or scalars (see `searchKeysOf`)
   */
  searchPaths?: readonly string[] | undefined;
  /**
   * Fair dispatch holds the job in the store from its creation (when it is queued at once):
   * the hold key of its group, its fair key and rank. Set by `FairAdmission.plan`.
   * @default not held
   */
  hold?: { key: string; fairKey: string; rank: number } | undefined;
}

/**
 * One transition of a {@link JobRepository.transitionBatch}; `known` is the job as its writer
 * last saw it (the claim's answer), from which the job after the write can be derived.
 */
export type BatchedTransition = {
  [N in TransitionName]: {
    name: N;
    id: string;
    args: TransitionArgs<N>;
    known?: JobDoc;
    /** Publish no event for this write: its writer publishes it (or decides it is moot). */
    quiet?: boolean;
  };
}[TransitionName];

export interface ListFilter {
  owner?: string;
  status?: JobStatus;
  type?: string;
  /** Exclusive: return jobs older than this id (newest first). */
  before?: string;
  limit: number;
}

/** Where the lifecycle events of transitions go (JobEvents; nothing in store-only tests). */
export interface LifecycleSink {
  /** Resolves true once every event of the job's state is confirmed by the broker. */
  lifecycle(job: JobDoc): Promise<boolean>;
}

const oid = (id: string) => new Types.ObjectId(id);

/** True for a 24-hex id; anything else can never name a job. */
export const isJobId = (id: string) => /^[a-f0-9]{24}$/.test(id);

/** Attempts at inserting submitted jobs when the store drops the connection (~0.1 s in all). */
const INSERT_TRIES = 4;

/**
 * The job store: creation, reads, and {@link JobRepository.transition}, the one function that
 * changes a job's state (see transitions.ts). Services call these; they never write `status`.
 */
export class JobRepository {
  /** The jobs model; for tests and this package's own queries, not for services. */
  readonly model: JobModel;
  readonly queries: JobQueries;
  /** The driver's collection, for the hot paths. */
  private readonly jobs: mongo.Collection<JobDoc>;
  /** Unsets `eventPendingAt` once a final event is confirmed. */
  readonly finalEventMarks: FinalEventMarks;
  /**
   * Where batched final-state writes keep their events owed, in place of a mark per job (see
   * EventLedger); null: each is marked with `eventPendingAt`.
   */
  readonly eventLedger: EventLedger | null;

  constructor(
    private readonly conn: Connection,
    private readonly events: LifecycleSink | null = null,
    options: {
      /**
       * Keep the events of {@link transitionBatch}'s final-state writes owed in event ledgers
       * opened by this writer (a worker); only with an event sink. @default none
       */
      eventLedger?: EventLedgerOptions;
    } = {},
  ) {
    this.model = jobModel(conn);
    this.jobs = this.model.collection as unknown as mongo.Collection<JobDoc>;
    this.queries = new JobQueries(this.model);
    this.finalEventMarks = new FinalEventMarks(this.jobs);
    this.eventLedger =
      events && options.eventLedger ? new EventLedger(conn, options.eventLedger) : null;
  }

  /** Creates the indexes (services call this at start). */
  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  private newDoc(input: NewJob, now: Date): JobDoc {
    const _id = new Types.ObjectId();
    const status = initialStatus(input.runAt, now);
    const searchKeys = searchKeysOf(input.payload, input.searchPaths);
    return {
      _id,
      type: input.type,
      status,
      priority: input.priority,
      owner: input.owner,
      ownerEmail: input.ownerEmail ?? null,
      payload: JSON.stringify(input.payload ?? null),
      result: null,
      error: null,
      attempts: 0,
      maxAttempts: input.maxAttempts,
      attemptBudget: input.maxAttempts,
      timeoutMs: input.timeoutMs,
      runAt: input.runAt,
      createdAt: now,
      updatedAt: now,
      queuedAt: status === 'queued' ? now : null,
      ...NOT_RUNNING,
      dedupeKey: input.idempotencyKey
        ? dedupeKeyOf(input.owner, input.idempotencyKey)
        : `id:${_id.toHexString()}`,
      idempotencyKey: input.idempotencyKey ?? null,
      scheduleId: input.scheduleId ?? null,
      correlationId: input.correlationId ?? randomUUID(),
      traceparent: input.traceparent ?? newTraceparent(),
      batch: null,
      ...(input.reactions && input.reactions.length > 0 ? { reactions: input.reactions } : {}),
      ...(searchKeys.length > 0 ? { searchKeys } : {}),
      ...(input.hold && status === 'queued'
        ? { holdKey: input.hold.key, fairKey: input.hold.fairKey, holdRank: input.hold.rank }
        : {}),
      history: [
        { t: 'create', status, at: now, ...(status === 'scheduled' ? { runAt: input.runAt } : {}) },
      ],
    };
  }

  /**
   * Inserts jobs in one round trip and publishes the lifecycle event of each created one; a
   * repeated idempotency key returns the first job instead (`created: false`). A transient
   * store error (a dropped connection) is retried briefly; a retry that finds its own earlier
   * write counts it as created.
   */
  async createMany(inputs: NewJob[]): Promise<{ job: JobDoc; created: boolean }[]> {
    const now = new Date();
    const docs = inputs.map((i) => this.newDoc(i, now));
    const refused = await withStoreRetry(() => this.insertAll(docs), INSERT_TRIES);
    const out: { job: JobDoc; created: boolean }[] = [];
    for (const [i, doc] of docs.entries()) {
      if (!refused.has(i)) {
        out.push({ job: doc, created: true });
        continue;
      }
      const existing = await this.jobs.findOne({ dedupeKey: doc.dedupeKey });
      if (!existing) throw new Error(`job with key ${doc.idempotencyKey} vanished during insert`);
      // n.b. the key holds the owner, so this cannot differ; a job is never handed to another owner
      if (existing.owner !== doc.owner)
        throw new Error(`idempotency key ${doc.idempotencyKey} belongs to another owner`);
      // n.b. the same _id: an attempt whose answer was lost did insert it
      out.push({ job: existing, created: existing._id.equals(doc._id) });
    }
    for (const r of out) if (r.created) this.emit(r.job);
    return out;
  }

  /** Inserts `docs`; the indexes of those refused as duplicates. */
  private async insertAll(docs: JobDoc[]): Promise<Set<number>> {
    if (docs.length > 1) return insertManySkippingDuplicates(this.jobs, docs);
    try {
      await this.jobs.insertOne(docs[0]!);
      return new Set();
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return new Set([0]);
    }
  }

  /** {@link createMany} of one job. */
  async create(input: NewJob): Promise<{ job: JobDoc; created: boolean }> {
    const [res] = await this.createMany([input]);
    return res!;
  }

  async get(id: string, owner?: string): Promise<JobDoc | null> {
    if (!isJobId(id)) return null;
    return this.jobs.findOne({ _id: oid(id), ...(owner !== undefined ? { owner } : {}) });
  }

  async list(f: ListFilter): Promise<JobDoc[]> {
    const q: Record<string, unknown> = {};
    if (f.owner !== undefined) q.owner = f.owner;
    if (f.status) q.status = f.status;
    if (f.type) q.type = f.type;
    if (f.before) q._id = { $lt: oid(f.before) };
    return this.model.find(q).sort({ _id: -1 }).limit(f.limit).lean<JobDoc[]>();
  }

  /**
   * Applies one transition of the table to one job as a single conditional write. Returns
   * the job after the change, or null when the job is not in a state the transition accepts
   * (another writer moved it, a stale message, a lost lease). Publishes the lifecycle event
   * when the transition emits one, unless `quiet` (the writer publishes it itself).
   */
  async transition<N extends TransitionName>(
    name: N,
    id: Types.ObjectId | string,
    args: TransitionArgs<N>,
    { quiet = false }: { quiet?: boolean } = {},
  ): Promise<JobDoc | null> {
    if (typeof id === 'string' && !isJobId(id)) return null;
    const _id = typeof id === 'string' ? oid(id) : id;
    const { filter, update } = transitionWrite(name, _id, args, new Date());
    // n.b. the driver's collection, not the mongoose model: the filter and update are built
    // from typed values already, and mongoose's casting costs more than the round trip
    const doc = await this.jobs.findOneAndUpdate(filter, update, { returnDocument: 'after' });
    if (doc && TRANSITIONS[name].emits && !quiet) this.emit(doc);
    return doc;
  }

  /**
   * Applies many transitions in two round trips instead of one each: every item is its own
   * conditional write (its filter and fence exactly as {@link transition} builds them), all
   * in one unordered `bulkWrite`, each also stamping a `writeToken` of its own; then one read
   * of the jobs carrying those tokens — exactly the writes that landed, whatever raced them.
   * When every write landed, the items that carry the job as their writer knows it (`known`)
   * are left out of the read: each of those jobs after its write is `known` with the update
   * applied (fields other writers may have changed meanwhile — `progress`, `cancelRequested`,
   * `leaseUntil` — are as `known` had them). Returns, per item, the job after its write or
   * null; publishes the events as {@link transition} does (items marked `quiet` excepted).
   * With an {@link eventLedger}, final states name the writer's current ledger instead of
   * carrying `eventPendingAt`, and each write is settled with the ledger once its event is
   * confirmed (or refused): no second write per job.
   */
  async transitionBatch(items: readonly BatchedTransition[]): Promise<(JobDoc | null)[]> {
    const now = new Date();
    const tokens = items.map(() => randomUUID());
    const writes = items.map((it, i) => {
      if (!isJobId(it.id)) return null;
      const w = transitionWrite(it.name, oid(it.id), it.args as never, now);
      (w.update['$set'] as Record<string, unknown>)['writeToken'] = tokens[i];
      return w;
    });
    const ops = writes.flatMap((w) => (w ? [{ updateOne: w }] : []));
    if (ops.length === 0) return items.map(() => null);
    // n.b. final states owe their event: with a ledger, the write names it instead of marking
    // the job, and the ledger is stored before the write goes out
    const ledger = this.eventLedger;
    const owing = ledger
      ? items.flatMap((_it, i) => {
          const set = writes[i]?.update['$set'] as Partial<JobDoc> | undefined;
          return set?.eventPendingAt ? [i] : [];
        })
      : [];
    const ledgerId = ledger && owing.length > 0 ? await ledger.acquire(owing.length) : null;
    const pending = new Set(owing);
    const settle = (i: number, confirmed: boolean) => {
      if (ledgerId && pending.delete(i)) ledger!.settle(ledgerId, confirmed);
    };
    if (ledgerId)
      for (const i of owing) {
        const set = writes[i]!.update['$set'] as Partial<JobDoc>;
        delete set.eventPendingAt;
        set.eventLedger = ledgerId;
      }
    let docs: (JobDoc | null)[];
    try {
      const res = await this.jobs.bulkWrite(ops, { ordered: false });
      // n.b. all landed: the jobs known to their writers need no read, only the others do
      const allLanded = res.modifiedCount === ops.length;
      docs = items.map((it, i) =>
        allLanded && it.known && writes[i] ? applyUpdate(it.known, writes[i].update) : null,
      );
      const unread = items.flatMap((it, i) => (writes[i] && !docs[i] ? [i] : []));
      if (unread.length > 0) {
        const read = await this.jobs
          .find({
            _id: { $in: unread.map((i) => oid(items[i]!.id)) },
            writeToken: { $in: unread.map((i) => tokens[i]!) },
          })
          .toArray();
        const byToken = new Map(read.map((d) => [d.writeToken, d]));
        for (const i of unread) docs[i] = byToken.get(tokens[i]) ?? null;
      }
    } catch (err) {
      // n.b. which writes landed is unknown: their ledger stays for the event sweep
      for (const i of owing) settle(i, false);
      throw err;
    }
    return items.map((it, i) => {
      const doc = docs[i] ?? null;
      if (!doc)
        settle(i, true); // n.b. refused: no final state, no event owed
      else if (TRANSITIONS[it.name].emits && !it.quiet)
        void this.emitConfirmed(doc).then(
          (ok) => settle(i, ok),
          () => settle(i, false),
        );
      else settle(i, false); // n.b. its writer publishes it: not confirmed here
      return doc;
    });
  }

  /**
   * Applies a transition that emits no event to many jobs at once (one `updateMany`); returns
   * how many moved. For the batch marks of the outbox.
   */
  async transitionMany<N extends 'markPublished'>(
    name: N,
    ids: Types.ObjectId[],
    args: TransitionArgs<N>,
  ): Promise<number> {
    if (ids.length === 0) return 0;
    const { filter, update } = transitionWrite(name, { $in: ids }, args, new Date());
    const res = await this.jobs.updateMany(filter, update);
    return res.modifiedCount;
  }

  /**
   * Due scheduled jobs -> queued, one pass over at most `limit` of them, in chunks of
   * `chunk`: per chunk one `updateMany` over its ids, conditional on each still being due and
   * scheduled and tagged with this chunk's token, then one read of the jobs carrying the
   * token — exactly the ones this replica moved, even with others promoting the same ids at
   * the same moment. Each chunk's `queued` events are published and `onPromoted` (dispatch)
   * runs before the next chunk, so a job waits unpublished for a moment only. Each replica
   * starts at a random chunk, so replicas that found the same jobs mostly take different ones.
   */
  async promoteDue(
    now: Date,
    limit: number,
    onPromoted: (jobs: JobDoc[]) => Promise<void>,
    chunk = 250,
  ): Promise<{ found: number; promoted: JobDoc[] }> {
    const due = await this.queries.findDue(now, limit);
    const promoted: JobDoc[] = [];
    const chunks = Math.ceil(due.length / chunk);
    const first = Math.floor(Math.random() * chunks);
    for (let k = 0; k < chunks; k++) {
      const i = ((first + k) % chunks) * chunk;
      const ids = due.slice(i, i + chunk).map((d) => d._id);
      const batch = randomUUID();
      // n.b. `now` decides what is due; the write's own time stamps queuedAt, or a long pass
      // would hand later chunks to the outbox sweeper as long unpublished
      const { filter, update } = transitionWrite(
        'moveToQueued',
        { $in: ids },
        { now, batch },
        new Date(),
      );
      const res = await this.jobs.updateMany(filter, update);
      if (res.modifiedCount === 0) continue;
      const mine = await this.jobs.find({ _id: { $in: ids }, batch }).toArray();
      for (const job of mine) this.emit(job);
      await onPromoted(mine);
      promoted.push(...mine);
    }
    return { found: due.length, promoted };
  }

  /** Deletes a finished job; null when missing, false when it has not finished. */
  async deleteFinished(id: string, owner?: string): Promise<JobDoc | null | false> {
    const job = await this.get(id, owner);
    if (!job) return null;
    const res = await this.model.deleteOne({
      _id: job._id,
      status: { $in: [...FINISHED_STATUSES] },
    });
    return res.deletedCount === 1 ? job : false;
  }

  /** Deletes finished jobs by id (retention) and what other services keep per job. */
  async purge(ids: Types.ObjectId[], finishedBefore: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.model.deleteMany({ _id: { $in: ids }, finishedAt: { $lt: finishedBefore } });
    await this.conn
      .collection<{ _id: string }>(COLLECTIONS.mailDeliveries)
      .deleteMany({ _id: { $in: ids.map((id) => id.toHexString()) } });
  }

  /**
   * Publishes final events still owed from the store (see JobDoc.eventPendingAt): the jobs
   * finished before `olderThan` whose event no confirm has cleared — their writer died between
   * its write and its publish, or the broker was away. Consumers may see such an event twice
   * (at-least-once): they de-duplicate by job id and status. Returns how many were confirmed.
   */
  async publishPendingFinalEvents(olderThan: Date, limit = 1000): Promise<number> {
    if (!this.events) return 0;
    const owed = await this.queries.findFinalEventPending(olderThan, limit);
    const sent = await Promise.all(owed.map((job) => this.emitConfirmed(job)));
    await this.finalEventMarks.flush();
    return sent.filter(Boolean).length + (await this.sweepEventLedgers(olderThan));
  }

  /**
   * The event ledgers opened before `olderThan` and still stored (their worker died, or an
   * event of theirs was not confirmed): publishes the final event of each job finished under
   * one and records how many it found (`swept`). {@link EVENT_LEDGER_RESWEEP_MS} later the
   * ledger is looked at once more — an outcome write that was still on its way when the
   * worker died has landed by then — and deleted; its events go out again only if it holds
   * more jobs than the first time. A ledger with an event the broker refused is kept.
   */
  private async sweepEventLedgers(olderThan: Date, limit = 100): Promise<number> {
    const ledgers = eventLedgers(this.conn);
    const now = new Date();
    const due = await ledgers
      .find({
        openedAt: { $lt: olderThan },
        $or: [
          { sweptAt: { $exists: false } },
          { sweptAt: { $lt: new Date(now.getTime() - EVENT_LEDGER_RESWEEP_MS) } },
        ],
      })
      .limit(limit)
      .toArray();
    let sent = 0;
    for (const ledger of due) {
      const jobs = await this.jobs
        .find({ eventLedger: ledger._id, status: { $in: [...FINISHED_STATUSES] } })
        .toArray();
      if (ledger.sweptAt && jobs.length === ledger.swept) {
        await ledgers.deleteOne({ _id: ledger._id });
        continue;
      }
      const ok = await Promise.all(jobs.map((job) => this.emitConfirmed(job)));
      sent += ok.filter(Boolean).length;
      if (!ok.every(Boolean)) continue; // n.b. the broker refused some: swept again next time
      if (ledger.sweptAt) await ledgers.deleteOne({ _id: ledger._id });
      else
        await ledgers.updateOne(
          { _id: ledger._id },
          { $set: { sweptAt: now, swept: jobs.length } },
        );
    }
    return sent;
  }

  private emit(job: JobDoc): void {
    // n.b. events other than final ones are best effort (JobEvents counts failures); a final
    // one stays owed in the document until its confirm, for the event sweep
    void this.emitConfirmed(job);
  }

  private async emitConfirmed(job: JobDoc): Promise<boolean> {
    if (!this.events) return false;
    const ok = await this.events.lifecycle(job);
    if (ok && job.eventPendingAt) this.finalEventMarks.confirmed(job);
    return ok;
  }
}

/**
 * How long after its first sweep an abandoned event ledger is looked at again, then deleted
 * (see JobRepository.publishPendingFinalEvents).
 */
export const EVENT_LEDGER_RESWEEP_MS = 60_000;

/**
 * The unique dedupe key of an owner's idempotency key. The owner is length-prefixed, so no
 * owner/key pair can spell another's (`alice` + `x:k` vs `alice:x` + `k`), whatever either
 * contains — schedule fire keys (`schedule:<id>:<time>`) included.
 */
export function dedupeKeyOf(owner: string, idempotencyKey: string): string {
  return `k:${owner.length}:${owner}:${idempotencyKey}`;
}

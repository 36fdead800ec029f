import type { mongo } from 'mongoose';

/** The outcome of one check: whether the store passed and the figures that show it. */
export interface CheckResult {
  /** Short name, e.g. `conditional findOneAndUpdate`. */
  readonly name: string;
  readonly ok: boolean;
  /** The figures behind the verdict, one line: counts, expected counts, time taken. */
  readonly detail: string;
  readonly ms: number;
}

/** What a check gets to work with: a database of its own and a way to open more clients. */
export interface CheckContext {
  /** The temporary database of this run (dropped afterwards). */
  readonly db: mongo.Db;
  /** Opens another client to the same server and database, e.g. one per racer; closed by the run. */
  readonly openDb: () => Promise<mongo.Db>;
  readonly options: CheckOptions;
}

/** Sizes of the concurrency checks. */
export interface CheckOptions {
  /**
   * Concurrent clients in every race.
   * @default 8
   */
  readonly racers: number;
  /**
   * Rounds of the conditional-update and unique-index races.
   * @default 20
   */
  readonly rounds: number;
  /**
   * `$inc` operations per racer on one counter.
   * @default 50
   */
  readonly increments: number;
  /**
   * Bytes written and read back through GridFS.
   * @default 3 MiB + 1234 bytes (12 full chunks of 255 KiB and a partial one)
   */
  readonly gridfsBytes: number;
  /**
   * A check that takes longer fails (a server that deadlocks must not hang the run).
   * @default 120000
   */
  readonly checkTimeoutMs: number;
}

export const DEFAULT_CHECK_OPTIONS: CheckOptions = Object.freeze({
  racers: 8,
  rounds: 20,
  increments: 50,
  gridfsBytes: 3 * 1024 * 1024 + 1234,
  checkTimeoutMs: 120_000,
});

/** A check: runs against its context and returns a verdict with figures (it may also throw = FAIL). */
export interface StoreCheck {
  readonly name: string;
  run(ctx: CheckContext): Promise<Omit<CheckResult, 'name' | 'ms'>>;
}

/** Opens `count` racer databases (one client each, so every racer has its own connection). */
export async function racerDbs(ctx: CheckContext): Promise<mongo.Db[]> {
  return Promise.all(Array.from({ length: ctx.options.racers }, () => ctx.openDb()));
}

/** True for a duplicate-key error (code 11000, "E11000 …") from any driver error class. */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 11000 || (typeof message === 'string' && message.includes('E11000'));
}

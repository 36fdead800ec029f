import { randomBytes } from 'node:crypto';
import { mongo } from 'mongoose';
import {
  DEFAULT_CHECK_OPTIONS,
  type CheckContext,
  type CheckOptions,
  type CheckResult,
  type StoreCheck,
} from './check.js';
import { conditionalFindOneAndUpdate, conditionalUpdateOne } from './conditional-update.js';
import { incUnderContention } from './counter.js';
import { gridfsRoundTrip } from './gridfs.js';
import { indexesKeepResults } from './index-results.js';
import { requiredIndexesCreated } from './indexes.js';
import { uniqueIndexRace } from './unique-index.js';

/** Every check, in the order they run. */
export const STORE_CHECKS: readonly StoreCheck[] = Object.freeze([
  conditionalFindOneAndUpdate,
  conditionalUpdateOne,
  incUnderContention,
  uniqueIndexRace,
  requiredIndexesCreated,
  indexesKeepResults,
  gridfsRoundTrip,
]);

/** What the server says about itself. */
export interface ServerInfo {
  /** `buildInfo.version`: the MongoDB version the server claims. */
  readonly version: string;
  readonly maxWireVersion: number | null;
  /** Set when the server says it is FerretDB (`buildInfo.ferretdbVersion`). */
  readonly ferretdbVersion: string | null;
}

/** The outcome of a whole run. */
export interface StoreCheckReport {
  readonly server: ServerInfo;
  /** The temporary database the checks ran in. */
  readonly database: string;
  readonly results: readonly CheckResult[];
  /** Whether the temporary database was dropped afterwards. */
  readonly dropped: boolean;
  /** True when every check passed. */
  readonly ok: boolean;
}

/** Options of {@link runStoreCheck}: check sizes, and a callback for each result as it lands. */
export interface RunStoreCheckOptions extends Partial<CheckOptions> {
  /** Called once connected, before the first check. */
  readonly onStart?: (server: ServerInfo, database: string) => void;
  /** Called with each check's result as it lands. */
  readonly onResult?: (result: CheckResult) => void;
  /**
   * Prefix of the temporary database's name (a random suffix is added).
   * @default "conveyor_store_check"
   */
  readonly databasePrefix?: string;
}

const CLIENT_OPTIONS: mongo.MongoClientOptions = {
  serverSelectionTimeoutMS: 10_000,
  connectTimeoutMS: 10_000,
  appName: 'conveyor-store-check',
};

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function serverInfo(client: mongo.MongoClient): Promise<ServerInfo> {
  const admin = client.db('admin');
  const build = await admin.command({ buildInfo: 1 });
  const hello = await admin.command({ hello: 1 }).catch(() => admin.command({ isMaster: 1 }));
  return {
    version: String(build['version'] ?? 'unknown'),
    maxWireVersion: typeof hello['maxWireVersion'] === 'number' ? hello['maxWireVersion'] : null,
    ferretdbVersion: typeof build['ferretdbVersion'] === 'string' ? build['ferretdbVersion'] : null,
  };
}

/**
 * Runs every store check against the server at `url` in a temporary database of its own,
 * which it drops at the end (also after a failure). The database path of `url` is ignored;
 * its credentials and options are used. Rejects only when the server cannot be reached.
 */
export async function runStoreCheck(
  url: string,
  options: RunStoreCheckOptions = {},
): Promise<StoreCheckReport> {
  const checkOptions: CheckOptions = { ...DEFAULT_CHECK_OPTIONS, ...stripUndefined(options) };
  const database = `${options.databasePrefix ?? 'conveyor_store_check'}_${randomBytes(4).toString('hex')}`;
  const main = new mongo.MongoClient(url, CLIENT_OPTIONS);
  const extra: mongo.MongoClient[] = [];
  const results: CheckResult[] = [];
  let dropped = false;
  try {
    await main.connect();
    const server = await serverInfo(main);
    options.onStart?.(server, database);
    const db = main.db(database);
    for (const check of STORE_CHECKS) {
      const ctx: CheckContext = {
        db,
        options: checkOptions,
        openDb: async () => {
          const client = new mongo.MongoClient(url, { ...CLIENT_OPTIONS, maxPoolSize: 10 });
          extra.push(client);
          await client.connect();
          return client.db(database);
        },
      };
      const started = performance.now();
      let result: CheckResult;
      try {
        const verdict = await withTimeout(check.run(ctx), checkOptions.checkTimeoutMs, check.name);
        result = { name: check.name, ...verdict, ms: performance.now() - started };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result = {
          name: check.name,
          ok: false,
          detail: `error: ${message}`,
          ms: performance.now() - started,
        };
      }
      // n.b. a check's own clients go at once, so racers of the next check start on fresh connections
      await Promise.allSettled(extra.splice(0).map((c) => c.close(true)));
      results.push(result);
      options.onResult?.(result);
    }
    try {
      await db.dropDatabase();
      const names = (await main.db('admin').admin().listDatabases({ nameOnly: true })).databases;
      dropped = !names.some((d) => d.name === database);
    } catch {
      dropped = false;
    }
    return { server, database, results, dropped, ok: results.every((r) => r.ok) };
  } finally {
    await Promise.allSettled(extra.map((c) => c.close(true)));
    await main.close(true);
  }
}

function stripUndefined(options: RunStoreCheckOptions): Partial<CheckOptions> {
  const { racers, rounds, increments, gridfsBytes, checkTimeoutMs } = options;
  return Object.fromEntries(
    Object.entries({ racers, rounds, increments, gridfsBytes, checkTimeoutMs }).filter(
      ([, v]) => v !== undefined,
    ),
  );
}

import type { Connection, Model, mongo } from 'mongoose';
import {
  catalogueEntryOf,
  catalogueEntrySchema,
  type CatalogueEntry,
  type JobTypeDefinition,
  type JobTypeLookup,
  type KnownJobType,
} from '@conveyor/contracts';
import type { Logger } from '@conveyor/platform';
import { jobTypeModel, type JobTypeDoc } from './job-type.model.js';
import { PayloadValidators } from './validator.js';

/** Who writes a catalogue entry. */
export interface Registrant {
  /** The worker group (its name). */
  worker: string;
  /** The worker instance. */
  workerId: string;
  /** Its software version. */
  version: string;
}

/** The registrant of entries seeded from definitions in code (no worker seen yet). */
export const SEED_REGISTRANT: Registrant = Object.freeze({
  worker: 'seed',
  workerId: 'seed',
  version: '0',
});

/** A catalogue entry with what the store knows of its workers. */
export interface CatalogueRecord {
  readonly entry: CatalogueEntry;
  readonly registeredAt: Date;
  readonly registeredBy: Registrant;
  /** Last heartbeat of a worker running the type; null when none was ever seen. */
  readonly lastSeenAt: Date | null;
  /** Schema hashes of the versions whose workers were heard from, newest first. */
  readonly versions: { schemaHash: string; lastSeenAt: Date }[];
}

/** What reading the catalogue takes: a lookup that finds freshly registered types. */
export interface JobCatalogueReader {
  lookup(need?: readonly string[]): Promise<JobTypeLookup>;
}

/** Options of {@link JobTypeCatalogue}. */
export interface CatalogueOptions {
  /**
   * Definitions this process has in code (the built-ins): when the registered schemas hash
   * to a definition's, its zod schema and hooks are used. @default none
   */
  local?: readonly JobTypeDefinition[];
  /** How long a read of the catalogue is reused. @default 2000 (ms) */
  maxAgeMs?: number;
  /** Shortest time between two reloads caused by an unknown name. @default 250 (ms) */
  missReloadMs?: number;
  log?: Logger;
}

interface Snapshot {
  at: number;
  lookup: JobTypeLookup;
  records: CatalogueRecord[];
}

/**
 * The job-type catalogue in the store. Workers {@link register} the types they run when they
 * start and {@link touch} them with every heartbeat; the API, the scheduler and workflows
 * read it through {@link lookup}, so a type is known everywhere without a redeploy.
 *
 * Versions: the most recent registration wins — a worker that starts with a changed schema
 * replaces the entry, and the API validates new submissions against it. Workers still
 * running an older version keep heart-beating their own hash (shown in `versions`), and
 * every worker validates a payload again against its own schema when it claims a job.
 */
export class JobTypeCatalogue implements JobCatalogueReader {
  private readonly model: Model<JobTypeDoc>;
  private readonly validators = new PayloadValidators();
  private readonly local = new Map<string, { def: JobTypeDefinition; hash: string }>();
  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;
  private lastMissReload = 0;
  private readonly maxAgeMs: number;
  private readonly missReloadMs: number;

  constructor(
    conn: Connection,
    private readonly opts: CatalogueOptions = {},
  ) {
    this.model = jobTypeModel(conn);
    this.maxAgeMs = opts.maxAgeMs ?? 2000;
    this.missReloadMs = opts.missReloadMs ?? 250;
    for (const def of opts.local ?? []) {
      // n.b. the queue does not enter the hash; any name will do here
      const hash = catalogueEntryOf(def, def.queue ?? 'local').schemaHash;
      this.local.set(def.name, { def, hash });
    }
  }

  // n.b. writes go to the driver's collection: `seen.<hash>` paths inside a Mixed field
  private get collection(): mongo.Collection<{ _id: string }> {
    return this.model.collection as unknown as mongo.Collection<{ _id: string }>;
  }

  /**
   * Writes the entries of the types a worker runs (replacing another version's schema) and
   * marks them seen now.
   */
  async register(entries: readonly CatalogueEntry[], by: Registrant): Promise<void> {
    const now = new Date();
    await this.collection.bulkWrite(
      entries.map((entry) => ({
        updateOne: {
          filter: { _id: entry.name },
          update: {
            $set: {
              ...entry,
              registeredAt: now,
              registeredBy: by,
              lastSeenAt: now,
              seen: { [entry.schemaHash]: now },
            },
            // n.b. a version that no longer declares search paths or limits goes back to the
            // defaults (every top-level field; no limits)
            ...(entry.search === undefined || entry.limits === undefined
              ? {
                  $unset: {
                    ...(entry.search === undefined ? { search: '' } : {}),
                    ...(entry.limits === undefined ? { limits: '' } : {}),
                  },
                }
              : {}),
          },
          upsert: true,
        },
      })),
      { ordered: false },
    );
    this.snapshot = null;
  }

  /**
   * Adds entries for definitions that have none yet (never replaces one): an API seeds the
   * built-in types so they are submittable before their worker first starts.
   */
  async seed(defs: readonly JobTypeDefinition[], by: Registrant): Promise<void> {
    const now = new Date();
    const seeded = defs.filter((d) => d.queue !== undefined);
    if (seeded.length === 0) return;
    await this.collection.bulkWrite(
      seeded.map((def) => {
        const entry = catalogueEntryOf(def, def.queue!);
        return {
          updateOne: {
            filter: { _id: entry.name },
            update: {
              $setOnInsert: {
                ...entry,
                registeredAt: now,
                registeredBy: by,
                lastSeenAt: null,
                seen: {},
              },
            },
            upsert: true,
          },
        };
      }),
      { ordered: false },
    );
    this.snapshot = null;
  }

  /** A worker's heartbeat: its types (name -> schema hash) were running just now. */
  async touch(types: ReadonlyMap<string, string>): Promise<void> {
    if (types.size === 0) return;
    const now = new Date();
    await this.collection.bulkWrite(
      [...types].map(([name, hash]) => ({
        updateOne: {
          filter: { _id: name },
          update: { $set: { lastSeenAt: now, [`seen.${hash}`]: now } },
        },
      })),
      { ordered: false },
    );
  }

  /**
   * The catalogue as of at most `maxAgeMs` ago. When `need` names a type the snapshot lacks,
   * it is read again (at most every `missReloadMs`), so a type registered a moment ago is
   * found.
   */
  async lookup(need: readonly string[] = []): Promise<JobTypeLookup> {
    return (await this.read(need)).lookup;
  }

  /** Every entry with its workers' liveness, by name. */
  async records(): Promise<CatalogueRecord[]> {
    return (await this.read([])).records;
  }

  /** Forgets the cached read: the next lookup reads the store. */
  invalidate(): void {
    this.snapshot = null;
  }

  private async read(need: readonly string[]): Promise<Snapshot> {
    const snap = this.snapshot;
    const now = Date.now();
    const fresh = snap !== null && now - snap.at < this.maxAgeMs;
    const missing = snap !== null && need.some((n) => snap.lookup(n) === undefined);
    if (fresh && !(missing && now - this.lastMissReload >= this.missReloadMs)) return snap;
    if (missing) this.lastMissReload = now;
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<Snapshot> {
    const docs = await this.model.find({}).sort({ _id: 1 }).lean<JobTypeDoc[]>();
    const types = new Map<string, KnownJobType>();
    const records: CatalogueRecord[] = [];
    for (const doc of docs) {
      const parsed = catalogueEntrySchema.safeParse(doc);
      if (!parsed.success) {
        this.opts.log?.warn(
          { type: doc._id },
          'catalogue entry does not match the contract; ignored',
        );
        continue;
      }
      const entry = parsed.data;
      const local = this.local.get(entry.name);
      const definition = local && local.hash === entry.schemaHash ? local.def : undefined;
      let check: KnownJobType['check'];
      try {
        check = this.validators.checkerFor(entry, definition);
      } catch (err) {
        this.opts.log?.warn(
          { type: entry.name, err: (err as Error).message },
          'payload schema of a catalogue entry does not compile; the type is not submittable',
        );
        continue;
      }
      types.set(entry.name, { name: entry.name, entry, definition, check });
      records.push({
        entry,
        registeredAt: doc.registeredAt,
        registeredBy: doc.registeredBy,
        lastSeenAt: doc.lastSeenAt ?? null,
        versions: Object.entries(doc.seen ?? {})
          .map(([schemaHash, at]) => ({ schemaHash, lastSeenAt: new Date(at) }))
          .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime()),
      });
    }
    const names = Object.freeze([...types.keys()].sort());
    const lookup = Object.assign((name: string) => types.get(name), { names }) as JobTypeLookup;
    const snap = { at: Date.now(), lookup, records };
    this.snapshot = snap;
    return snap;
  }
}

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { prioritySchema } from './priority.js';
import { SEARCH_LIMITS, SEARCH_PATH } from './search.js';
import { JOB_TYPE_NAME, QUEUE_NAME, type JobTypeDefinition } from './job-type.js';
import { jobTypeLimitsSchema } from './limits.js';

/**
 * The job-type catalogue (contract): one entry per job type, written to the store by every
 * worker that runs the type when it starts, read by the API, the scheduler and workflows at
 * run time. See docs/protocol.md, "The catalogue entry".
 */
export const catalogueEntrySchema = z.object({
  name: z.string().regex(JOB_TYPE_NAME),
  description: z.string().max(2000),
  /** The worker group whose queues receive the type. */
  queue: z.string().regex(QUEUE_NAME),
  /** JSON Schema (draft 2020-12) of the payload a client sends. */
  payloadSchema: z.record(z.string(), z.unknown()),
  /** JSON Schema of the handler's result. */
  resultSchema: z.record(z.string(), z.unknown()),
  /** sha256 (hex) of the canonical JSON of both schemas: equal hashes, equal schemas. */
  schemaHash: z.string().regex(/^[a-f0-9]{64}$/),
  /**
   * Payload paths a job of the type can be searched by; absent: every top-level field that
   * holds a scalar or an array of them. See `searchKeysOf`.
   */
  search: z.array(z.string().regex(SEARCH_PATH)).max(SEARCH_LIMITS.paths).optional(),
  /** Example payloads (at most 5). */
  examples: z.array(z.unknown()).max(5).default([]),
  defaults: z.object({
    maxAttempts: z.int().min(1).max(100),
    timeoutMs: z.int().min(100),
    priority: prioritySchema,
    backoff: z
      .object({ baseMs: z.int().min(0).optional(), maxMs: z.int().min(1).optional() })
      .optional(),
  }),
  /** Fleet-wide limits and fair-share key from the definition (an operator may override). */
  limits: jobTypeLimitsSchema.optional(),
});
export type CatalogueEntry = z.infer<typeof catalogueEntrySchema>;

/** Largest payload JSON Schema the catalogue accepts, serialized (bytes). */
export const MAX_SCHEMA_BYTES = 256 * 1024;

/** JSON with object keys sorted at every level: the input of {@link schemaHashOf}. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
}

/** The hash that identifies one version of a type's schemas. */
export function schemaHashOf(
  payloadSchema: Record<string, unknown>,
  resultSchema: Record<string, unknown>,
): string {
  return createHash('sha256')
    .update(canonicalJson({ payload: payloadSchema, result: resultSchema }))
    .digest('hex');
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  // n.b. the dialect is implied by the contract; dropping it keeps hashes stable across zod
  // releases that spell it differently
  delete out.$schema;
  return out;
}

/** The catalogue entry of a definition run by the worker group `queue`. */
export function catalogueEntryOf(def: JobTypeDefinition, queue: string): CatalogueEntry {
  const payloadSchema = jsonSchema(def.payload, 'input');
  const resultSchema = jsonSchema(def.result, 'output');
  const size = Buffer.byteLength(JSON.stringify(payloadSchema));
  if (size > MAX_SCHEMA_BYTES)
    throw new Error(`${def.name}: payload JSON Schema is ${size} bytes, above ${MAX_SCHEMA_BYTES}`);
  return catalogueEntrySchema.parse({
    name: def.name,
    description: def.description,
    queue: def.queue ?? queue,
    payloadSchema,
    resultSchema,
    schemaHash: schemaHashOf(payloadSchema, resultSchema),
    examples: def.examples.slice(0, 5),
    ...(def.search !== undefined ? { search: [...def.search] } : {}),
    defaults: { ...def.defaults },
    ...(def.limits ? { limits: def.limits } : {}),
  });
}

/** A payload check's answer: the payload with defaults applied, or field-level issues. */
export type PayloadCheck =
  | { success: true; data: unknown }
  | { success: false; issues: { path: PropertyKey[]; message: string }[] };

/** A job type as one process knows it at run time: its catalogue entry and a validator. */
export interface KnownJobType {
  readonly name: string;
  readonly entry: CatalogueEntry;
  /**
   * The definition in code, when this process has one whose schemas hash to the entry's: its
   * hooks (`uploadsOf`, `ownersOf`, `priorityOf`, `artifactOf`) and zod refinements apply.
   */
  readonly definition: JobTypeDefinition | undefined;
  /** Validates a payload against the registered schema (and the definition, when present). */
  check(payload: unknown): PayloadCheck;
}

/** Finds a job type by name in a catalogue snapshot. */
export interface JobTypeLookup {
  (name: string): KnownJobType | undefined;
  /** Every known name, sorted: error messages list them. */
  readonly names: readonly string[];
}

/** `unknown job type "x"; known types: a, b, c` (the list is cut after 30 names). */
export function unknownTypeMessage(
  name: string,
  types: { readonly names: readonly string[] },
): string {
  const shown = types.names.slice(0, 30).join(', ');
  const more = types.names.length > 30 ? `, and ${types.names.length - 30} more` : '';
  return `unknown job type ${JSON.stringify(name)}; known types: ${shown || '(none registered yet)'}${more}`;
}

/** A payload check with a definition's zod schema (refinements and defaults included). */
export function checkWithDefinition(def: JobTypeDefinition, payload: unknown): PayloadCheck {
  const r = def.payload.safeParse(payload);
  return r.success
    ? { success: true, data: r.data }
    : { success: false, issues: r.error.issues.map((i) => ({ path: i.path, message: i.message })) };
}

/**
 * A lookup over definitions in code (no store): their zod schemas check payloads. For code
 * that knows its types statically, and for tests.
 */
export function definitionLookup(defs: readonly JobTypeDefinition[]): JobTypeLookup {
  const types = new Map<string, KnownJobType>();
  for (const def of defs)
    types.set(def.name, {
      name: def.name,
      entry: catalogueEntryOf(def, def.queue ?? 'local'),
      definition: def,
      check: (payload) => checkWithDefinition(def, payload),
    });
  const names = Object.freeze([...types.keys()].sort());
  return Object.assign((name: string) => types.get(name), { names });
}

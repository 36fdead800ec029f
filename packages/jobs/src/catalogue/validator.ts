import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import {
  checkWithDefinition,
  type CatalogueEntry,
  type JobTypeDefinition,
  type PayloadCheck,
} from '@conveyor/contracts';

// n.b. ajv-formats is CommonJS: its default export arrives wrapped under ESM
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

/** Deepest nesting a registered schema may have. */
export const MAX_SCHEMA_DEPTH = 64;

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || value === null || typeof value !== 'object') return depth;
  let max = depth;
  for (const v of Object.values(value as Record<string, unknown>)) {
    max = Math.max(max, depthOf(v, limit, depth + 1));
    if (max > limit) break;
  }
  return max;
}

function messageOf(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return 'required';
    case 'additionalProperties':
      return `unknown field ${JSON.stringify(p.additionalProperty)}`;
    case 'type':
      return `expected ${String(p.type)}`;
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `expected ${JSON.stringify(p.allowedValue)}`;
    case 'anyOf':
    case 'oneOf':
      return 'matches none of the allowed shapes';
    default:
      return e.message ?? e.keyword;
  }
}

function pathOf(e: ErrorObject): PropertyKey[] {
  const path: PropertyKey[] = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof p.missingProperty === 'string')
    path.push(p.missingProperty);
  if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string')
    path.push(p.additionalProperty);
  return path;
}

/**
 * Payload checkers, compiled once per schema hash. A registered JSON Schema is compiled
 * with Ajv (draft 2020-12; no remote `$ref` is ever fetched: one fails the compile); a
 * definition in code whose schemas hash to the entry's is checked with its zod schema, which
 * also runs refinements JSON Schema cannot carry.
 */
export class PayloadValidators {
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly ajv: Ajv2020;

  constructor() {
    this.ajv = new Ajv2020({
      allErrors: true,
      strict: false,
      useDefaults: true,
      // n.b. no loadSchema: a `$ref` to anything outside the schema fails at compile time
      validateSchema: true,
    });
    addFormats(this.ajv);
  }

  /** A checker for an entry; throws when its schema cannot be compiled. */
  checkerFor(
    entry: CatalogueEntry,
    definition?: JobTypeDefinition,
  ): (payload: unknown) => PayloadCheck {
    if (definition) return (payload) => checkWithDefinition(definition, payload);
    let validate = this.compiled.get(entry.schemaHash);
    if (!validate) {
      if (depthOf(entry.payloadSchema, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH)
        throw new Error(`payload schema of ${entry.name} nests deeper than ${MAX_SCHEMA_DEPTH}`);
      validate = this.ajv.compile(entry.payloadSchema);
      this.compiled.set(entry.schemaHash, validate);
    }
    const v = validate;
    return (payload) => {
      // n.b. Ajv applies defaults in place: validate a copy, never the caller's object
      const data: unknown = structuredClone(payload);
      if (v(data)) return { success: true, data };
      // one message per field: a named format says more than the pattern that spells it
      const rank = (e: ErrorObject) =>
        e.keyword === 'format' ? 0 : e.keyword === 'pattern' ? 2 : 1;
      const byField = new Map<string, ErrorObject>();
      // n.b. a union that matched no branch is one error at the union, not each branch's
      const all = v.errors ?? [];
      const unions = all
        .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
        .map((e) => `${e.schemaPath}/`);
      const errors = all.filter((e) => !unions.some((u) => e.schemaPath.startsWith(u)));
      for (const e of errors) {
        const key = pathOf(e).map(String).join('\u0000');
        const had = byField.get(key);
        if (!had || rank(e) < rank(had)) byField.set(key, e);
      }
      const issues = [...byField.values()].map((e) => ({ path: pathOf(e), message: messageOf(e) }));
      return { success: false, issues };
    };
  }
}

import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import {
  canonicalJson,
  catalogueEntryOf,
  definitionLookup,
  schemaHashOf,
  unknownTypeMessage,
} from './catalogue.js';
import { defineJobType } from './job-type.js';

const thumb = defineJobType({
  name: 'acme.thumbnail',
  payload: z.object({ url: z.string(), width: z.int().default(128) }),
  result: z.object({ bytes: z.int() }),
  defaults: { maxAttempts: 5 },
});

describe('catalogue entries', () => {
  it('carry JSON Schemas, the resolved queue and every default', () => {
    const e = catalogueEntryOf(thumb, 'acme');
    expect(e).toMatchObject({
      name: 'acme.thumbnail',
      queue: 'acme',
      defaults: { maxAttempts: 5, timeoutMs: 600_000, priority: 'normal' },
    });
    expect(e.payloadSchema).toMatchObject({ type: 'object', required: ['url'] });
    expect(e.payloadSchema.$schema).toBeUndefined();
    expect(e.schemaHash).toMatch(/^[a-f0-9]{64}$/);
  });

  it('hash equal schemas equally whatever the key order, and changed schemas differently', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 4, e: 5 }] } })).toBe(
      '{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}',
    );
    expect(schemaHashOf({ a: 1, b: 2 }, {})).toBe(schemaHashOf({ b: 2, a: 1 }, {}));
    const changed = defineJobType({ name: thumb.name, payload: z.object({ url: z.string() }) });
    expect(catalogueEntryOf(changed, 'acme').schemaHash).not.toBe(
      catalogueEntryOf(thumb, 'acme').schemaHash,
    );
    // the queue is not part of the schema version
    expect(catalogueEntryOf(thumb, 'other').schemaHash).toBe(
      catalogueEntryOf(thumb, 'acme').schemaHash,
    );
  });

  it('take the definition’s own queue over the registering worker’s name', () => {
    const pinned = defineJobType({ name: 'acme.pinned', queue: 'media', payload: z.object({}) });
    expect(catalogueEntryOf(pinned, 'acme').queue).toBe('media');
  });

  it('refuse malformed names, queues and defaults at definition time', () => {
    expect(() => defineJobType({ name: 'Thumbnail', payload: z.object({}) })).toThrow(
      /dotted lower-case/,
    );
    expect(() => defineJobType({ name: 'a.b', queue: 'Bad Queue', payload: z.object({}) })).toThrow(
      /queue/,
    );
    expect(() =>
      defineJobType({ name: 'a.b', payload: z.object({}), defaults: { maxAttempts: 0 } }),
    ).toThrow(/maxAttempts/);
  });
});

describe('lookups over definitions', () => {
  it('check payloads with the zod schema and name the known types when asked for another', () => {
    const types = definitionLookup([thumb]);
    expect(types('acme.thumbnail')!.check({ url: 'x' })).toEqual({
      success: true,
      data: { url: 'x', width: 128 },
    });
    const bad = types('acme.thumbnail')!.check({ width: 'x' });
    expect(bad.success).toBe(false);
    expect(types('nope')).toBeUndefined();
    expect(unknownTypeMessage('nope', types)).toBe(
      'unknown job type "nope"; known types: acme.thumbnail',
    );
  });
});

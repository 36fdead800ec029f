import { z } from 'zod';
import type { JobTypeDefinition } from './job-type.js';

/** JSON Schema (draft 2020-12) of what a client sends as a job type's payload. */
export function payloadJsonSchema(def: JobTypeDefinition): Record<string, unknown> {
  return z.toJSONSchema(def.payload, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

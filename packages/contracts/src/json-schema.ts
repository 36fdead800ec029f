import { z } from 'zod';
import type { JobTypeDefinition } from './job-type.js';
import { jobTypes } from './registry.js';

/** JSON Schema (draft 2020-12) of what a client sends as a job type's payload. */
export function payloadJsonSchema(def: JobTypeDefinition): Record<string, unknown> {
  return z.toJSONSchema(def.payload, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

/** The catalogue served at `/v1/job-types`. */
export function jobTypeCatalogue() {
  return Object.values(jobTypes).map((t) => ({
    name: t.name,
    description: t.description,
    service: t.service,
    defaults: { timeoutMs: t.timeoutMs, maxAttempts: t.maxAttempts },
    payloadSchema: payloadJsonSchema(t),
  }));
}

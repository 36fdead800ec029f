import type { CatalogueRecord } from '@conveyor/jobs/store';
import { jobTypeLimitsResourceSchema } from './limits.js';

/** A worker heard from within this long counts as live. */
export const WORKER_LIVE_MS = 30_000;

/** The `/v1/job-types` item (contract), as JSON Schema for the route table. */
export const jobTypeResourceSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    queue: { type: 'string', description: 'The worker group whose queues receive the type' },
    service: { type: 'string', description: 'Deprecated: the same as `queue`' },
    payloadSchema: { type: 'object' },
    resultSchema: { type: 'object' },
    schemaHash: { type: 'string' },
    examples: { type: 'array', description: 'Example payloads' },
    search: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Payload paths its jobs can be searched by (GET /v1/jobs/search field/text); absent: every top-level field holding a scalar or scalars',
    },
    defaults: { type: 'object' },
    registeredAt: { type: 'string', format: 'date-time' },
    registeredBy: { type: 'string', description: 'The worker group that registered the schema' },
    lastSeenAt: { type: ['string', 'null'], format: 'date-time' },
    limits: jobTypeLimitsResourceSchema,
    worker: {
      type: 'object',
      properties: {
        live: { type: 'boolean' },
        message: { type: 'string' },
        liveSchemaHashes: { type: 'array', items: { type: 'string' } },
      },
      required: ['live', 'message', 'liveSchemaHashes'],
    },
  },
  required: [
    'name',
    'description',
    'queue',
    'service',
    'payloadSchema',
    'resultSchema',
    'schemaHash',
    'defaults',
    'registeredAt',
    'registeredBy',
    'lastSeenAt',
    'worker',
    'limits',
  ],
} as const;

/** One catalogue record as the API shows it, with its workers' liveness at `now`. */
export function jobTypeResource(r: CatalogueRecord, now: Date) {
  const since = (d: Date) => now.getTime() - d.getTime();
  const live = r.lastSeenAt !== null && since(r.lastSeenAt) <= WORKER_LIVE_MS;
  const liveSchemaHashes = r.versions
    .filter((v) => since(v.lastSeenAt) <= WORKER_LIVE_MS)
    .map((v) => v.schemaHash);
  const message = live
    ? liveSchemaHashes.length > 1
      ? `${liveSchemaHashes.length} schema versions running`
      : 'running'
    : r.lastSeenAt
      ? `no worker seen since ${r.lastSeenAt.toISOString()}`
      : 'no worker seen yet';
  return {
    ...r.entry,
    service: r.entry.queue,
    registeredAt: r.registeredAt.toISOString(),
    registeredBy: r.registeredBy.worker,
    lastSeenAt: r.lastSeenAt?.toISOString() ?? null,
    worker: { live, message, liveSchemaHashes },
  };
}

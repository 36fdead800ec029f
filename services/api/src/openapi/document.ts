import { z } from 'zod';
import {
  jobResourceSchema,
  scheduleResourceSchema,
  type CatalogueEntry,
  submitJobSchema,
} from '@conveyor/contracts';
import { jsonSchemaOf, openApiPaths, type AnyRoute, type JsonSchema } from '../http/route-table.js';
import { workflowSchemas } from '../workflows/openapi.js';

/** The problem document every error answers with (RFC 9457). */
export const problemSchema = z.object({
  type: z.literal('about:blank'),
  title: z.string(),
  status: z.int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  instance: z.string(),
});

/** Names of the payload schemas in `components.schemas`, by job type. */
export const payloadSchemaName = (type: string) => `Payload.${type}`;

const AUTH_TEXT = [
  'Every `/v1` route needs `Authorization: Bearer <JWT>` (HS256 with `JWT_SECRET`, or RS/ES keys from `JWT_JWKS_URL`);',
  'the token’s `sub` owns the jobs, schedules and workflows it creates, `email` is where mail jobs report,',
  'and `admin: true` sees everyone’s. Locally `pnpm token --sub alice` prints a token signed with the dev secret.',
  'The probes (`/healthz`, `/readyz`, `/metrics`), `/openapi.json` and `/docs` are open.',
  'Errors are RFC 9457 problem documents (`application/problem+json`); a 400 lists each wrong field in `errors`.',
].join(' ');

/**
 * The OpenAPI 3.1 document of the route tables: paths from the same specs that register the
 * Koa routes, schemas from the same zod schemas the API validates with.
 */
export function openApiDocument(
  routes: AnyRoute[],
  types: readonly CatalogueEntry[],
  version = '0.1.0',
): JsonSchema {
  const schemas: Record<string, JsonSchema> = {
    SubmitJob: {
      ...jsonSchemaOf(submitJobSchema, 'input'),
      description: 'Give `runAt` or `delayMs`, not both (400 otherwise).',
    },
    JobResource: jsonSchemaOf(jobResourceSchema, 'output'),
    ScheduleResource: jsonSchemaOf(scheduleResourceSchema, 'output'),
    Problem: jsonSchemaOf(problemSchema, 'output'),
    ...workflowSchemas(),
  };
  for (const t of types) {
    const { $schema: _drop, ...payload } = t.payloadSchema;
    schemas[payloadSchemaName(t.name)] = { description: t.description, ...payload };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Conveyor API',
      version,
      description: `Background jobs over RabbitMQ with state in MongoDB. ${AUTH_TEXT}`,
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: openApiPaths(routes),
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

import Koa from 'koa';
import { koaBody } from 'koa-body';
import { authenticate } from './auth/middleware.js';
import { createTokenVerifier, type TokenVerifier } from './auth/verifier.js';
import { registerDashboard } from './dashboard/register.js';
import type { JobTypeCatalogue } from '@conveyor/jobs/store';
import type { ApiDeps } from './deps.js';
import { artifactRoutes } from './artifacts/routes.js';
import { allEventRoutes, jobEventRoutes } from './events/routes.js';
import { problemMiddleware } from './http/errors.js';
import { httpMetricsMiddleware } from './http/metrics.js';
import { httpTracingMiddleware } from './http/tracing.js';
import { MongoWindowCounter, SubmissionLimiter } from './http/rate-limit.js';
import { mountRoutes, route, type AnyRoute } from './http/route-table.js';
import { jobRoutes } from './jobs/routes.js';
import { DOCS_PAGE } from './openapi/docs-page.js';
import { openApiDocument } from './openapi/document.js';
import { opsRoutes, probeRoutes } from './ops/routes.js';
import { pauseRoutes, queuePauseRoutes } from './ops/pause.js';
import { limitRoutes } from './ops/limits.js';
import { scheduleRoutes } from './schedules/routes.js';
import { uploadRoutes } from './uploads/routes.js';
import { webhookSecretRoutes } from './webhooks/routes.js';
import { workflowRoutes } from './workflows/routes.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Whether the process is shutting down (`/readyz` answers 503); default never. */
  isDraining?: () => boolean;
  /** Token verifier; default built from the config's JWT settings. */
  verifier?: TokenVerifier;
}

/** Builds the Koa app from its collaborators (no listener: see `startHttpServer`). */
export function createApp(deps: ApiDeps, opts: AppOptions = {}): Koa {
  const { config, runtime } = deps;
  const verifier =
    opts.verifier ??
    createTokenVerifier({
      secret: config.JWT_SECRET,
      jwksUrl: config.JWT_JWKS_URL,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
  const limiter = new SubmissionLimiter(
    config.RATE_LIMIT_PER_MINUTE,
    new MongoWindowCounter(runtime.mongo),
  );

  const app = new Koa();
  // n.b. a client that goes away mid-response (an SSE stream closed) is normal: a debug line,
  // not Koa's default stack trace on stderr; anything else is logged as structured JSON
  app.on('error', (err: unknown, ctx?: Koa.Context) => {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE')
      runtime.log.debug({ path: ctx?.path, code }, 'client went away');
    else runtime.log.error({ err, path: ctx?.path }, 'response failed');
  });
  app.use(problemMiddleware(runtime.log));
  app.use(httpMetricsMiddleware(deps.metrics));
  app.use(httpTracingMiddleware());
  app.use(
    koaBody({
      json: true,
      jsonStrict: true,
      jsonLimit: config.BODY_LIMIT_BYTES,
      multipart: false,
      urlencoded: false,
      text: false,
    }),
  );

  const routes: AnyRoute[] = [
    ...probeRoutes(deps, opts.isDraining ?? (() => false)),
    ...registerDashboard(app, deps),
    ...jobRoutes(deps, limiter),
    jobEventRoutes(deps),
    allEventRoutes(deps),
    uploadRoutes(deps),
    ...artifactRoutes(deps),
    ...opsRoutes(deps),
    ...pauseRoutes(deps),
    ...queuePauseRoutes(deps),
    ...limitRoutes(deps),
    ...scheduleRoutes({
      repo: deps.schedules,
      core: deps.core,
      uploads: deps.uploads,
      webhookSecrets: deps.webhookSecrets,
      limiter,
    }),
    ...webhookSecretRoutes(deps),
    ...workflowRoutes(deps, limiter),
  ];
  const documentation = docRoutes(routes, deps.core.catalogue);
  mountRoutes(app, [...documentation, ...routes], authenticate(verifier));
  return app;
}

/**
 * `/openapi.json` (generated from the route table, documented in itself, with the payload
 * schema of every type in the catalogue: rebuilt when the catalogue changes) and `/docs`.
 */
function docRoutes(routes: AnyRoute[], catalogue: JobTypeCatalogue): AnyRoute[] {
  let openapi = { key: '', text: '' };
  const spec = route({
    method: 'get',
    path: '/openapi.json',
    tag: 'documentation',
    summary: 'This OpenAPI 3.1 document',
    auth: 'none',
    responses: { 200: { description: 'The document', schema: { type: 'object' } } },
    handler: async (ctx) => {
      const entries = (await catalogue.records()).map((r) => r.entry);
      const key = entries.map((e) => `${e.name}:${e.schemaHash}`).join(',');
      if (key !== openapi.key)
        openapi = { key, text: JSON.stringify(openApiDocument([spec, docs, ...routes], entries)) };
      ctx.type = 'application/json';
      ctx.body = openapi.text;
    },
  });
  const docs = route({
    method: 'get',
    path: '/docs',
    tag: 'documentation',
    summary: 'The API reference as a page (reads /openapi.json)',
    auth: 'none',
    responses: {
      200: { description: 'HTML', contentType: 'text/html', schema: { type: 'string' } },
    },
    handler: (ctx) => {
      ctx.type = 'text/html';
      ctx.body = DOCS_PAGE;
    },
  });
  return [spec, docs];
}

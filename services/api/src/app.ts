import Koa from 'koa';
import { Router } from '@koa/router';
import { koaBody } from 'koa-body';
import { authenticate } from './auth/middleware.js';
import { createTokenVerifier, type TokenVerifier } from './auth/verifier.js';
import { registerDashboard } from './dashboard/register.js';
import type { ApiDeps } from './deps.js';
import { allEventRoutes, jobEventRoutes } from './events/routes.js';
import { problemMiddleware } from './http/errors.js';
import { httpMetricsMiddleware } from './http/metrics.js';
import { httpTracingMiddleware } from './http/tracing.js';
import { SubmissionLimiter } from './http/rate-limit.js';
import { jobRoutes } from './jobs/routes.js';
import { DOCS_PAGE } from './openapi/docs-page.js';
import { openApiDocument } from './openapi/document.js';
import { opsRoutes, probeRoutes } from './ops/routes.js';
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
  const limiter = new SubmissionLimiter(config.RATE_LIMIT_PER_MINUTE);
  const openapi = JSON.stringify(openApiDocument());

  const app = new Koa();
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

  const open = new Router();
  open.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = openapi;
  });
  open.get('/docs', (ctx) => {
    ctx.type = 'text/html';
    ctx.body = DOCS_PAGE;
  });
  const probes = probeRoutes(deps, opts.isDraining ?? (() => false));

  const auth = authenticate(verifier);
  const v1 = new Router({ prefix: '/v1' });
  v1.use(auth);
  registerDashboard(app, v1, deps);
  v1.use('/jobs', jobRoutes(deps, limiter).routes(), jobEventRoutes(deps).routes());
  v1.use('/events', allEventRoutes(deps).routes());
  v1.use('/uploads', uploadRoutes(deps).routes());
  v1.use(opsRoutes(deps).routes());

  // Schedules mount point: `scheduleRoutes` carries its own `/v1/schedules` prefix.
  const schedules = new Router();
  schedules.use(auth);
  schedules.use(scheduleRoutes({ repo: deps.schedules, core: deps.core }).routes());

  // Webhook secrets: `webhookSecretRoutes` carries its own `/v1/webhooks/secret` prefix.
  const webhooks = new Router();
  webhooks.use(auth);
  webhooks.use(webhookSecretRoutes(deps).routes());

  // Workflows: `workflowRoutes` carries its own `/v1/workflows` prefix.
  const workflows = new Router();
  workflows.use(auth);
  workflows.use(workflowRoutes(deps, limiter).routes());

  for (const router of [open, probes, v1, schedules, webhooks, workflows])
    app.use(router.routes()).use(router.allowedMethods());
  return app;
}

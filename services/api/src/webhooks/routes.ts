import { Router } from '@koa/router';
import { z } from 'zod';
import { currentUser } from '../auth/middleware.js';
import type { ApiDeps } from '../deps.js';
import { conflict, notFound, parseOr400 } from '../http/problem.js';

/** Body of a rotation: how long the old secret keeps signing (default one day, at most a week). */
export const rotateSecretSchema = z.strictObject({
  graceSeconds: z
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(24 * 3600),
});

/**
 * `/v1/webhooks/secret`: the caller's signing secret for webhooks and completion callbacks.
 * The secret itself is in the answer of `POST` (create) and `POST …/rotate` only; `GET` shows
 * its fingerprint.
 */
export function webhookSecretRoutes(deps: Pick<ApiDeps, 'webhookSecrets'>): Router {
  const router = new Router({ prefix: '/v1/webhooks/secret' });
  const secrets = deps.webhookSecrets;

  router.post('/', async (ctx) => {
    const created = await secrets.create(currentUser(ctx).sub);
    if (!created)
      throw conflict('a secret exists already; rotate it with POST /v1/webhooks/secret/rotate');
    ctx.status = 201;
    ctx.body = { secret: created.secret, ...created.info };
  });

  router.post('/rotate', async (ctx) => {
    const { graceSeconds } = parseOr400(rotateSecretSchema, ctx.request.body ?? {});
    const rotated = await secrets.rotate(currentUser(ctx).sub, graceSeconds * 1000);
    if (!rotated) throw notFound('webhook secret');
    ctx.status = 201;
    ctx.body = { secret: rotated.secret, ...rotated.info };
  });

  router.get('/', async (ctx) => {
    const info = await secrets.info(currentUser(ctx).sub);
    if (!info) throw notFound('webhook secret');
    ctx.body = info;
  });

  router.delete('/', async (ctx) => {
    if (!(await secrets.delete(currentUser(ctx).sub))) throw notFound('webhook secret');
    ctx.status = 204;
  });

  return router;
}

import { z } from 'zod';
import { currentUser } from '../auth/middleware.js';
import type { ApiDeps } from '../deps.js';
import { conflict, notFound } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { problemAnswer } from '../http/schemas.js';

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
export function webhookSecretRoutes(deps: Pick<ApiDeps, 'webhookSecrets'>): AnyRoute[] {
  const secrets = deps.webhookSecrets;
  const base = { tag: 'webhooks', auth: 'token' as const, path: '/v1/webhooks/secret' };

  const create = route({
    ...base,
    method: 'post',
    summary: 'Create my webhook signing secret (revealed once)',
    responses: { 201: revealed, 409: problemAnswer('A secret exists; rotate it') },
    handler: async (ctx) => {
      const created = await secrets.create(currentUser(ctx).sub);
      if (!created)
        throw conflict('a secret exists already; rotate it with POST /v1/webhooks/secret/rotate');
      ctx.status = 201;
      ctx.body = { secret: created.secret, ...created.info };
    },
  });

  const rotate = route<unknown, z.infer<typeof rotateSecretSchema>>({
    ...base,
    method: 'post',
    path: '/v1/webhooks/secret/rotate',
    summary: 'Rotate: a new secret; the old one keeps signing for graceSeconds',
    body: { schema: rotateSecretSchema, required: false },
    responses: { 201: revealed, 404: problemAnswer('No secret yet') },
    handler: async (ctx, { body }) => {
      const { graceSeconds } = body;
      const rotated = await secrets.rotate(currentUser(ctx).sub, graceSeconds * 1000);
      if (!rotated) throw notFound('webhook secret');
      ctx.status = 201;
      ctx.body = { secret: rotated.secret, ...rotated.info };
    },
  });

  const read = route({
    ...base,
    method: 'get',
    summary: 'My webhook secret: fingerprint and dates, never the secret',
    responses: {
      200: { description: 'Secret info', schema: secretInfo },
      404: problemAnswer('No secret yet'),
    },
    handler: async (ctx) => {
      const info = await secrets.info(currentUser(ctx).sub);
      if (!info) throw notFound('webhook secret');
      ctx.body = info;
    },
  });

  const remove = route({
    ...base,
    method: 'delete',
    summary: 'Delete my webhook secret',
    responses: { 204: { description: 'Deleted' }, 404: problemAnswer('No secret') },
    handler: async (ctx) => {
      if (!(await secrets.delete(currentUser(ctx).sub))) throw notFound('webhook secret');
      ctx.status = 204;
    },
  });

  return [create, rotate, read, remove];
}

const secretInfo = {
  type: 'object',
  properties: {
    createdAt: { type: 'string', format: 'date-time' },
    fingerprint: { type: 'string', description: 'First 12 hex digits of SHA-256 of the secret' },
    previousExpiresAt: {
      type: ['string', 'null'],
      description: 'Until then deliveries also carry a signature with the previous secret',
    },
  },
  required: ['createdAt', 'fingerprint', 'previousExpiresAt'],
};
const revealed = {
  description: 'The new secret (shown this once)',
  schema: {
    ...secretInfo,
    properties: {
      secret: { type: 'string', pattern: '^whsec_', description: 'whsec_ + base64 key' },
      ...secretInfo.properties,
    },
    required: ['secret', ...secretInfo.required],
  },
};

import { z } from 'zod';
import { rotateSecretSchema } from './routes.js';

const info = {
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
  content: {
    'application/json': {
      schema: {
        ...info,
        properties: {
          secret: { type: 'string', pattern: '^whsec_', description: 'whsec_ + base64 key' },
          ...info.properties,
        },
        required: ['secret', ...info.required],
      },
    },
  },
};

/** The OpenAPI paths of `/v1/webhooks/secret`. */
export function webhookSecretPaths(
  problem: (description: string) => unknown,
): Record<string, Record<string, unknown>> {
  const { $schema: _drop, ...rotateBody } = z.toJSONSchema(rotateSecretSchema, {
    io: 'input',
  }) as Record<string, unknown>;
  return {
    '/v1/webhooks/secret': {
      post: {
        summary: 'Create my webhook signing secret (revealed once)',
        responses: { '201': revealed, '409': problem('A secret exists; rotate it') },
      },
      get: {
        summary: 'My webhook secret: fingerprint and dates, never the secret',
        responses: {
          '200': { description: 'Secret info', content: { 'application/json': { schema: info } } },
          '404': problem('No secret yet'),
        },
      },
      delete: {
        summary: 'Delete my webhook secret',
        responses: { '204': { description: 'Deleted' }, '404': problem('No secret') },
      },
    },
    '/v1/webhooks/secret/rotate': {
      post: {
        summary: 'Rotate: a new secret; the old one keeps signing for graceSeconds',
        requestBody: { required: false, content: { 'application/json': { schema: rotateBody } } },
        responses: { '201': revealed, '400': problem('Invalid body'), '404': problem('No secret') },
      },
    },
  };
}

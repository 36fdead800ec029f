import { z } from 'zod';
import { ConfigError, baseConfigShape, env, loadConfig, type Env } from '@conveyor/platform';

/** The development-only signing secret; refused when `NODE_ENV=production`. */
export const DEV_JWT_SECRET = 'conveyor-dev-secret-change-me-0123456789';
/** Default `iss` of tokens the API accepts and the dev token CLI issues. */
export const DEFAULT_JWT_ISSUER = 'conveyor';
/** Default `aud` of tokens the API accepts and the dev token CLI issues. */
export const DEFAULT_JWT_AUDIENCE = 'conveyor-api';

/**
 * Variables of the API, on top of the base ones:
 * - `PORT` (3000): the HTTP API; 0 picks a free port.
 * - `METRICS_PORT` (9100): the ops server (`/metrics`, `/healthz`, `/readyz`).
 * - `JWT_SECRET`: HS256 secret, at least 32 characters; defaults to {@link DEV_JWT_SECRET} in
 *   `development` only. `JWT_JWKS_URL`: a JWKS URL (RS256 / ES256) instead. One is required.
 * - `JWT_ISSUER` (`conveyor`), `JWT_AUDIENCE` (`conveyor-api`): required `iss` and `aud`.
 * - `RATE_LIMIT_PER_MINUTE` (600): job submissions per owner per minute, per API replica; 0 = off.
 * - `FAIR_WINDOW` (200): ready messages a worker group's standard lane may hold before new
 *   jobs wait in the store, to be released round robin across owners by the scheduler (set
 *   it as the scheduler's). 0 = fair dispatch off: every job is published at once.
 * - `BODY_LIMIT_BYTES` (10 MiB): largest JSON body.
 * - `UPLOAD_LIMIT_BYTES` (512 MiB): largest uploaded file.
 * - `RABBITMQ_MANAGEMENT_URL` (unset): RabbitMQ's management API, e.g.
 *   `http://guest:guest@127.0.0.1:15672`; gives the dashboard ready/unacked counts and rates.
 * - `DASHBOARD_DIR` (the `@conveyor/dashboard` build): the files served at `/ui`.
 */
export const apiConfigShape = {
  ...baseConfigShape,
  PORT: env.port.default(3000),
  METRICS_PORT: env.port.default(9100),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_JWKS_URL: env.url(['https', 'http']).optional(),
  JWT_ISSUER: z.string().min(1).default(DEFAULT_JWT_ISSUER),
  JWT_AUDIENCE: z.string().min(1).default(DEFAULT_JWT_AUDIENCE),
  RATE_LIMIT_PER_MINUTE: env.nonNegativeInt.default(600),
  FAIR_WINDOW: env.nonNegativeInt.default(200),
  BODY_LIMIT_BYTES: env.positiveInt.default(10 * 1024 * 1024),
  UPLOAD_LIMIT_BYTES: env.positiveInt.default(512 * 1024 * 1024),
  RABBITMQ_MANAGEMENT_URL: env.url(['https', 'http']).optional(),
  DASHBOARD_DIR: z.string().min(1).optional(),
};

export type ApiConfig = ReturnType<typeof apiConfig>;

/** Parses the API's configuration; throws {@link ConfigError} naming each bad variable. */
export function apiConfig(source: Env = process.env) {
  const parsed = loadConfig(apiConfigShape, source);
  const secret =
    parsed.JWT_SECRET ??
    (parsed.JWT_JWKS_URL === undefined && parsed.NODE_ENV === 'development'
      ? DEV_JWT_SECRET
      : undefined);
  if (secret === undefined && parsed.JWT_JWKS_URL === undefined) {
    throw new ConfigError([
      { variable: 'JWT_SECRET', message: 'set JWT_SECRET (HS256) or JWT_JWKS_URL' },
    ]);
  }
  if (parsed.NODE_ENV === 'production' && secret === DEV_JWT_SECRET) {
    throw new ConfigError([
      { variable: 'JWT_SECRET', message: 'the development secret is refused in production' },
    ]);
  }
  return Object.freeze({ ...parsed, JWT_SECRET: secret });
}

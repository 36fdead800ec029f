import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@conveyor/platform';
import { DEV_JWT_SECRET, apiConfig } from './config.js';

const base = { RABBITMQ_URL: 'amqp://localhost', MONGO_URL: 'mongodb://localhost/conveyor' };

function configError(env: Record<string, string>): ConfigError {
  try {
    apiConfig({ ...base, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('apiConfig', () => {
  it('has the documented defaults and the dev secret in development', () => {
    const c = apiConfig(base);
    expect(c.PORT).toBe(3000);
    expect(c.METRICS_PORT).toBe(9100);
    expect(c.JWT_SECRET).toBe(DEV_JWT_SECRET);
    expect(c.JWT_ISSUER).toBe('conveyor');
    expect(c.JWT_AUDIENCE).toBe('conveyor-api');
    expect(c.RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(c.BODY_LIMIT_BYTES).toBe(10 * 1024 * 1024);
    expect(c.UPLOAD_LIMIT_BYTES).toBe(512 * 1024 * 1024);
  });

  it('refuses the dev secret in production, naming JWT_SECRET', () => {
    const err = configError({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET });
    expect(err.problems.map((p) => p.variable)).toEqual(['JWT_SECRET']);
  });

  it('requires a secret or a JWKS URL outside development', () => {
    expect(configError({ NODE_ENV: 'production' }).problems[0]?.variable).toBe('JWT_SECRET');
    expect(
      apiConfig({ ...base, NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.example.com/jwks' })
        .JWT_SECRET,
    ).toBeUndefined();
  });

  it('refuses a short secret', () => {
    expect(configError({ JWT_SECRET: 'short' }).problems[0]?.variable).toBe('JWT_SECRET');
  });
});

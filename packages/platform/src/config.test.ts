import { describe, expect, it } from '@jest/globals';
import { baseConfigShape, brokerUrls, ConfigError, loadConfig } from './config.js';

const base = { RABBITMQ_URL: 'amqp://127.0.0.1', MONGO_URL: 'mongodb://127.0.0.1/x' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(baseConfigShape, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.variable}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('RABBITMQ_URL', () => {
  it('takes the nodes of a cluster separated by commas, in order', () => {
    const value = 'amqp://u:p@rabbit-0:5672, amqp://u:p@rabbit-1:5672,amqps://u:p@rabbit-2';
    const config = loadConfig(baseConfigShape, { ...base, RABBITMQ_URL: value });
    expect(brokerUrls(config.RABBITMQ_URL)).toEqual([
      'amqp://u:p@rabbit-0:5672',
      'amqp://u:p@rabbit-1:5672',
      'amqps://u:p@rabbit-2',
    ]);
  });

  it('names the variable and the entry that is wrong', () => {
    expect(problems({ ...base, RABBITMQ_URL: 'amqp://a,http://b' })).toEqual([
      'RABBITMQ_URL: entry 2 must be a URL with scheme amqp or amqps',
    ]);
    expect(problems({ ...base, RABBITMQ_URL: 'amqp://a,,amqp://b' })).toEqual([
      'RABBITMQ_URL: has an empty entry; separate broker URLs with single commas',
    ]);
  });
});

describe('STORE_TIMEOUT_MS', () => {
  it('defaults to 5000 ms', () => {
    expect(loadConfig(baseConfigShape, base).STORE_TIMEOUT_MS).toBe(5000);
  });

  it('is refused below 100 ms, by name', () => {
    expect(problems({ ...base, STORE_TIMEOUT_MS: '10' })).toEqual([
      'STORE_TIMEOUT_MS: must be at least 100 (ms)',
    ]);
  });
});

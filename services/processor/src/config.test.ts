import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@conveyor/platform';
import { processorConfig } from './config.js';

const base = { RABBITMQ_URL: 'amqp://127.0.0.1', MONGO_URL: 'mongodb://127.0.0.1/x' };

describe('processorConfig', () => {
  it('reads the webhook variables with their defaults', () => {
    const c = processorConfig(base);
    expect(c.CONCURRENCY).toBe(32);
    expect(processorConfig({ ...base, CONCURRENCY: '8' }).CONCURRENCY).toBe(8);
    expect(c.WEBHOOK_ALLOW_CIDRS).toEqual([]);
    expect(c.WEBHOOK_DESTINATION_CONCURRENCY).toBe(2);
    const d = processorConfig({ ...base, WEBHOOK_ALLOW_CIDRS: ' 127.0.0.1/32, ::1 ,10.0.0.0/8' });
    expect(d.WEBHOOK_ALLOW_CIDRS).toEqual(['127.0.0.1/32', '::1', '10.0.0.0/8']);
  });

  it('names a bad allow-list entry and its variable', () => {
    let err: unknown;
    try {
      processorConfig({ ...base, WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32,intranet' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(
      'WEBHOOK_ALLOW_CIDRS: "intranet" is not an IP address',
    );
  });
});

import { describe, expect, it } from '@jest/globals';
import { ConfigError, baseConfigShape, loadConfig } from './config.js';
import {
  formatTraceparent,
  initTracing,
  otlpTracesProtocol,
  parseTraceparent,
  startSpan,
  traceIdOf,
} from './tracing.js';

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('tracing without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('records and exports nothing, but still makes and carries trace ids', async () => {
    const stop = initTracing('test', {});
    const child = startSpan('child', { parent: PARENT });
    expect(child.span.isRecording()).toBe(false);
    expect(child.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(child.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(child.traceparent).not.toBe(PARENT);
    const root = startSpan('root');
    expect(root.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(root.traceId).not.toBe(child.traceId);
    child.end();
    root.end(new Error('ignored'));
    await stop();
  });

  it('parses W3C traceparent strictly', () => {
    expect(formatTraceparent(parseTraceparent(PARENT)!)).toBe(PARENT);
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeNull();
    expect(parseTraceparent('garbage')).toBeNull();
    expect(parseTraceparent(undefined)).toBeNull();
    expect(traceIdOf(PARENT)).toBe('0af7651916cd43dd8448eb211c80319c');
  });
});

describe('the OTLP protocol of trace exports', () => {
  it('is protobuf over HTTP unless a protocol variable says http/json; the traces one wins', () => {
    expect(otlpTracesProtocol({})).toBe('http/protobuf');
    expect(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: '' })).toBe('http/protobuf');
    expect(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(
      otlpTracesProtocol({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }),
    ).toBe('http/protobuf');
  });

  it('refuses any other value as a config error naming the variable, endpoint set or not', () => {
    for (const [variable, value] of [
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
      ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/xml'],
    ] as const) {
      const attempt = () => initTracing('test', { [variable]: value });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(new RegExp(`${variable}: must be http/protobuf .* not "${value}"`));
    }
  });

  it('is checked with the rest of every service configuration at start', () => {
    const base = { RABBITMQ_URL: 'amqp://127.0.0.1', MONGO_URL: 'mongodb://127.0.0.1/x' };
    expect(
      loadConfig(baseConfigShape, { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
    ).toMatchObject({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(() =>
      loadConfig(baseConfigShape, { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf \(the default\) or http\/json/);
  });
});

import { describe, expect, it } from '@jest/globals';
import {
  formatTraceparent,
  initTracing,
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

import { randomBytes } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  isSpanContextValid,
  trace,
  type Attributes,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

import { ConfigError, type Env } from './config.js';

export { SpanKind } from '@opentelemetry/api';

/** The OTLP/HTTP encodings Conveyor exports traces in. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/**
 * The encoding of trace exports: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf` (OpenTelemetry's default for OTLP/HTTP).
 * Throws {@link ConfigError} naming the variable for any other value (`grpc` included: only
 * OTLP over HTTP is exported).
 */
export function otlpTracesProtocol(env: Env = process.env): OtlpProtocol {
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if ((OTLP_PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
    throw new ConfigError([
      {
        variable,
        message: `must be http/protobuf (the default) or http/json, not ${JSON.stringify(value)}`,
      },
    ]);
  }
  return 'http/protobuf';
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C trace context parsed from a `traceparent` value; null when absent or malformed. */
export function parseTraceparent(value: string | null | undefined): SpanContext | null {
  const m = TRACEPARENT.exec(value ?? '');
  if (!m) return null;
  const sc: SpanContext = {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16),
    isRemote: true,
  };
  return isSpanContextValid(sc) ? sc : null;
}

/** `00-<trace-id>-<span-id>-<flags>` of a span context. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A span of Conveyor's: the OpenTelemetry span and the trace context its children carry. */
export interface ActiveSpan {
  readonly span: Span;
  /** `traceparent` naming this span: what a message or a child span carries. */
  readonly traceparent: string;
  readonly traceId: string;
  /** Ends the span; an error marks it failed. Idempotent. */
  end(error?: unknown): void;
}

let provider: TracerProvider | null = null;
let tracer: Tracer = trace.getTracer('conveyor');

/**
 * Turns on OpenTelemetry tracing for this process when `OTEL_EXPORTER_OTLP_ENDPOINT` is set
 * (spans are batched and exported over OTLP/HTTP to `<endpoint>/v1/traces`, protobuf-encoded
 * unless the protocol variables say `http/json`, see {@link otlpTracesProtocol}; the
 * exporters' own `OTEL_EXPORTER_OTLP_*` variables apply). A bad protocol value throws
 * {@link ConfigError} whether or not the endpoint is set. Unset, nothing is exported and spans cost
 * almost nothing, but trace ids are still made and carried, so logs stay correlated.
 * Returns a flush-and-shutdown function for the service's close sequence.
 */
export function initTracing(service: string, env: Env = process.env): () => Promise<void> {
  const protocol = otlpTracesProtocol(env);
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT || provider) return async () => undefined;
  provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME ?? `conveyor-${service}`,
    }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter:
          protocol === 'http/json' ? new OTLPJsonTraceExporter() : new OTLPProtobufTraceExporter(),
        // n.b. the standard variable, read here: the processor takes its options explicitly
        scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 5000) || 5000,
      }),
    ],
  });
  tracer = provider.getTracer('conveyor');
  const mine = provider;
  return async () => {
    await mine.forceFlush();
    await mine.shutdown();
    if (provider === mine) {
      provider = null;
      tracer = trace.getTracer('conveyor');
    }
  };
}

// n.b. span and trace ids come from a pool of random bytes refilled 4 KiB at a time: one
// call into the system's random source per few hundred spans instead of one per id
let pool = Buffer.alloc(0);
let poolAt = 0;
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/**
 * Starts a span as a child of `parent` (a `traceparent`; a new trace when absent or invalid).
 * Parents are passed explicitly, never through an ambient context, so a span's place in the
 * trace is what the message it came from says.
 */
export function startSpan(
  name: string,
  opts: { parent?: string | null; kind?: SpanKind; attributes?: Attributes } = {},
): ActiveSpan {
  const parent = parseTraceparent(opts.parent);
  const ctx = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  const span = tracer.startSpan(
    name,
    {
      kind: opts.kind ?? SpanKind.INTERNAL,
      ...(opts.attributes ? { attributes: opts.attributes } : {}),
    },
    ctx,
  );
  let sc = span.spanContext();
  if (!isSpanContextValid(sc) || (parent && sc.spanId === parent.spanId)) {
    // n.b. tracing off: the no-op span echoes its parent (or is empty); make the ids ourselves
    sc = {
      traceId: parent?.traceId ?? randomHex(16),
      spanId: randomHex(8),
      traceFlags: parent?.traceFlags ?? TraceFlags.SAMPLED,
    };
  }
  let ended = false;
  return {
    span,
    traceparent: formatTraceparent(sc),
    traceId: sc.traceId,
    end(error?: unknown) {
      if (ended) return;
      ended = true;
      if (error !== undefined && error !== null) {
        span.recordException(error instanceof Error ? error : new Error(String(error)));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: String((error as Error).message ?? error),
        });
      }
      span.end();
    },
  };
}

/** The trace id of a `traceparent`, or undefined. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  return parseTraceparent(traceparent)?.traceId;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import protobuf from 'protobufjs';
import { REPO_ROOT } from '../repo-paths.js';

/** How an export request was encoded: OTLP/HTTP's two content types. */
export type OtlpEncoding = 'protobuf' | 'json';

/** A span as an OTLP receiver decodes it. */
export interface ReceivedSpan {
  readonly service: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** The encoding of the export request that carried the span. */
  readonly encoding: OtlpEncoding;
}

/** A running receiver: `endpoint` is what OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
export interface OtlpReceiver {
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Requests that were not OTLP/HTTP trace exports, or did not decode (should stay empty). */
  readonly rejected: string[];
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number | { toString(): string };
  boolValue?: boolean;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface ExportRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string | Uint8Array;
        spanId: string | Uint8Array;
        parentSpanId?: string | Uint8Array;
        name: string;
        kind?: number;
        startTimeUnixNano?: string | { toString(): string };
        attributes?: KeyValue[];
      }>;
    }>;
  }>;
}

function value(v: AnyValue): unknown {
  const int = v.intValue;
  return (
    v.stringValue ?? (typeof int === 'object' ? String(int) : int) ?? v.boolValue ?? v.doubleValue
  );
}

/** A trace or span id: hex in OTLP JSON, bytes in protobuf. */
function hexId(id: string | Uint8Array | undefined): string {
  if (id === undefined) return '';
  return typeof id === 'string' ? id : Buffer.from(id).toString('hex');
}

/** Where the official OpenTelemetry .proto files are kept (opentelemetry-proto, Apache-2.0). */
const PROTO_DIR = resolve(REPO_ROOT, 'packages/observability/proto');

let exportRequestType: protobuf.Type | null = null;

/** `ExportTraceServiceRequest`, from the official trace_service.proto and what it imports. */
function exportTraceServiceRequest(): protobuf.Type {
  if (!exportRequestType) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => resolve(PROTO_DIR, target);
    root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
    exportRequestType = root.lookupType(
      'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
    );
  }
  return exportRequestType;
}

function decode(body: Buffer, encoding: OtlpEncoding): ExportRequest {
  if (encoding === 'json') return JSON.parse(body.toString('utf8')) as ExportRequest;
  const type = exportTraceServiceRequest();
  // n.b. ids stay bytes, 64-bit integers become decimal strings, enums numbers
  return type.toObject(type.decode(body), { longs: String, enums: Number }) as ExportRequest;
}

function attributes(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1: accepts `POST /v1/traces` in either OTLP/HTTP
 * encoding, binary protobuf (`application/x-protobuf`, decoded with the official .proto
 * definitions) or JSON (`application/json`), decodes resource spans into
 * {@link ReceivedSpan}s and answers with an empty ExportTraceServiceResponse in the same
 * encoding.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      const encoding: OtlpEncoding | null = type.startsWith('application/x-protobuf')
        ? 'protobuf'
        : type.startsWith('application/json')
          ? 'json'
          : null;
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !encoding) {
        rejected.push(`${req.method} ${req.url} ${type}`);
        res.writeHead(415).end();
        return;
      }
      try {
        const body = decode(Buffer.concat(chunks), encoding);
        for (const rs of body.resourceSpans ?? []) {
          const service = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                service,
                name: s.name,
                traceId: hexId(s.traceId),
                spanId: hexId(s.spanId),
                parentSpanId: hexId(s.parentSpanId),
                kind: s.kind ?? 0,
                startTimeUnixNano: String(s.startTimeUnixNano ?? '0'),
                attributes: attributes(s.attributes),
                encoding,
              });
        }
        // n.b. an empty ExportTraceServiceResponse: no bytes in protobuf, {} in JSON
        if (encoding === 'protobuf')
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (err) {
        rejected.push(`undecodable export: ${(err as Error).message}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    rejected,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

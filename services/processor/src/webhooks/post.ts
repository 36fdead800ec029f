import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Destination } from './destination.js';

/** What a receiver answered, with at most `maxResponseBytes` of its reply. */
export interface ReceiverReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Whether the reply was longer and was cut off. */
  truncated: boolean;
}

/** Why a POST got no answer. */
export class DeliveryFailure extends Error {
  constructor(
    readonly kind: 'timeout' | 'connection' | 'aborted',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DeliveryFailure';
  }
}

/**
 * One POST to the vetted address of `dest` (the URL's host name goes in `Host` and TLS SNI,
 * so virtual hosts and certificates work, but no lookup happens here). `timeoutMs` bounds the
 * whole exchange, connect to the last byte read; the reply is read up to `maxResponseBytes`
 * and the connection is then closed. Redirects are returned, not followed.
 */
export function postOnce(
  dest: Destination,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; maxResponseBytes: number; signal: AbortSignal },
): Promise<ReceiverReply> {
  return new Promise((resolve, reject) => {
    const https = dest.url.protocol === 'https:';
    const request = https ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      fn();
    };
    const req = request({
      host: dest.address,
      family: dest.family,
      port: dest.port,
      method: 'POST',
      path: `${dest.url.pathname}${dest.url.search}`,
      // n.b. no pooled sockets: a kept-alive socket could outlive the vetting of its address
      agent: false,
      ...(https ? { servername: dest.hostname } : {}),
      headers: {
        ...headers,
        host: dest.url.host,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
    });
    const timer = setTimeout(() => {
      finish(() =>
        reject(new DeliveryFailure('timeout', `no complete answer within ${opts.timeoutMs} ms`)),
      );
      req.destroy();
    }, opts.timeoutMs);
    const onAbort = () => {
      finish(() => reject(new DeliveryFailure('aborted', 'delivery aborted')));
      req.destroy();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) =>
      finish(() => reject(new DeliveryFailure('connection', err.message, { cause: err }))),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const done = (truncated: boolean) =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            truncated,
          }),
        );
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = opts.maxResponseBytes - bytes;
        if (chunk.length > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          bytes += Math.max(0, room);
          done(true);
          req.destroy();
          return;
        }
        chunks.push(chunk);
        bytes += chunk.length;
      });
      res.on('end', () => done(false));
      res.on('error', (err) =>
        finish(() => reject(new DeliveryFailure('connection', err.message, { cause: err }))),
      );
    });
    req.end(body);
  });
}

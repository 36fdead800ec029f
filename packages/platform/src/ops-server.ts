import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

/** A named readiness check; resolves true when the dependency is usable. */
export type ReadinessCheck = { name: string; check: () => Promise<boolean> };

export interface OpsServer {
  readonly port: number;
  /** Marks the service as stopping: `/readyz` answers 503 from now on. */
  setDraining(): void;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text), `/healthz` (the process is alive) and `/readyz`
 * (every check passes and the service is not draining) on its own port, so probes and
 * scrapes never queue behind application traffic.
 */
export async function startOpsServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  checks: ReadinessCheck[];
  log: Logger;
}): Promise<OpsServer> {
  let draining = false;
  const server = http.createServer((req, res) => {
    void handle(req.url ?? '/', res);
  });
  async function handle(url: string, res: http.ServerResponse) {
    try {
      const path = url.split('?')[0];
      if (path === '/metrics') {
        const body = await opts.registry.metrics();
        res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body);
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      } else if (path === '/readyz') {
        const results = await Promise.all(
          opts.checks.map(async (c) => [c.name, await c.check().catch(() => false)] as const),
        );
        const ready = !draining && results.every(([, ok]) => ok);
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: ready ? 'ready' : 'not-ready',
            draining,
            checks: Object.fromEntries(results),
          }),
        );
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not-found"}');
      }
    } catch (err) {
      opts.log.error({ err }, 'ops endpoint failed');
      if (!res.headersSent) res.writeHead(500).end();
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ port }, 'ops server listening (/metrics /healthz /readyz)');
  return {
    port,
    setDraining: () => {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

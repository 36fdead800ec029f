import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

/** The API's HTTP listener with a two-step stop: refuse new connections, then drain. */
export interface HttpServer {
  readonly port: number;
  readonly server: http.Server;
  /** Stops accepting connections and closes idle keep-alive ones; open requests go on. */
  stopAccepting(): void;
  /** Waits up to `graceMs` for open requests, then cuts what is left. Resolves when closed. */
  drain(graceMs: number): Promise<void>;
}

/** Listens on `port` (0 = a free one). */
export async function startHttpServer(
  app: Koa,
  port: number,
  host = '0.0.0.0',
): Promise<HttpServer> {
  const server = http.createServer(app.callback());
  // n.b. SSE streams are long-lived; only idle sockets should time out.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  let closed: Promise<void> | null = null;
  const stopAccepting = () => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
  };
  return {
    port: (server.address() as AddressInfo).port,
    server,
    stopAccepting,
    async drain(graceMs) {
      stopAccepting();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, graceMs);
      });
      await Promise.race([closed, timeout]);
      clearTimeout(timer);
      await closed;
    },
  };
}

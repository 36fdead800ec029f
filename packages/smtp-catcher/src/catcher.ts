import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { FaultInjector } from './faults.js';
import { createHttpHandler } from './http.js';
import { silentLogger, type CatcherLogger } from './log.js';
import { MessageStore } from './message-store.js';
import { createSmtpServer } from './smtp.js';
import { WebhookStore } from './webhook-store.js';

/** Options for {@link startSmtpCatcher}. */
export interface SmtpCatcherOptions {
  /** SMTP port; 0 picks a free one (default 1025). */
  smtpPort?: number;
  /** HTTP port; 0 picks a free one (default 1080). */
  httpPort?: number;
  /** Interface both servers bind to (default `127.0.0.1`). */
  host?: string;
  /** Messages kept in memory before the oldest is dropped (default 10000). */
  maxMessages?: number;
  /** Webhooks kept in memory before the oldest is dropped (default 1000). */
  maxWebhooks?: number;
  /** Receives structured events (default: silent). */
  log?: CatcherLogger;
}

/** A running catcher. */
export interface SmtpCatcher {
  /** The SMTP port actually bound (useful with `smtpPort: 0`). */
  smtpPort: number;
  /** The HTTP port actually bound (useful with `httpPort: 0`). */
  httpPort: number;
  host: string;
  /** `smtp://host:port`, the form `SMTP_URL` takes. */
  smtpUrl: string;
  /** `http://host:port`, the form `SMTP_CATCHER_URL` takes. */
  httpUrl: string;
  /** Stops both servers. Idempotent: later calls return the first call's promise. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the development SMTP server and its HTTP API in this process.
 *
 * @example
 * const catcher = await startSmtpCatcher({ smtpPort: 0, httpPort: 0 });
 * // send to catcher.smtpUrl, read `${catcher.httpUrl}/api/messages`
 * await catcher.close();
 */
export async function startSmtpCatcher(options: SmtpCatcherOptions = {}): Promise<SmtpCatcher> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? silentLogger;
  const store = new MessageStore(options.maxMessages ?? 10_000);
  const faults = new FaultInjector();

  const smtp = createSmtpServer(store, faults, log);
  smtp.on('error', (error) => log('smtp.error', { error: String(error) }));
  const webhooks = new WebhookStore(options.maxWebhooks ?? 1000);
  const http = createServer(createHttpHandler(store, faults, log, webhooks));

  const smtpPort = await listen(smtp.server, options.smtpPort ?? 1025, host);
  let httpPort: number;
  try {
    httpPort = await listen(http, options.httpPort ?? 1080, host);
  } catch (error) {
    await new Promise<void>((resolve) => smtp.close(resolve));
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const results = await Promise.allSettled([
        new Promise<void>((resolve, reject) => {
          http.close((error) => (error ? reject(error) : resolve()));
          // n.b. keep-alive sockets would hold close() open until they time out.
          http.closeIdleConnections();
        }),
        new Promise<void>((resolve) => smtp.close(resolve)),
      ]);
      for (const result of results) {
        if (result.status === 'rejected') log('close.error', { error: String(result.reason) });
      }
    })();
    return closing;
  };

  const base = urlHost(host);
  return {
    smtpPort,
    httpPort,
    host,
    smtpUrl: `smtp://${base}:${smtpPort}`,
    httpUrl: `http://${base}:${httpPort}`,
    close,
  };
}

import mongoose, { type Connection } from 'mongoose';
import type { Logger } from './logger.js';

/**
 * Opens a dedicated mongoose connection (not the global default, so tests and services can
 * hold several) and waits until it answers a ping.
 */
export async function connectMongo(
  url: string,
  log: Logger,
  opts: { appName?: string } = {},
): Promise<Connection> {
  const conn = mongoose.createConnection(url, {
    appName: opts.appName,
    serverSelectionTimeoutMS: 10_000,
    // Small deployments: keep the pool modest, hot paths are short.
    maxPoolSize: 20,
    autoIndex: false,
  });
  // n.b. mongoose emits `disconnecting` only when close() is called, so the `disconnected`
  // that follows a clean shutdown is no warning; one without it is a lost connection.
  let closing = false;
  conn.on('disconnecting', () => (closing = true));
  conn.on('disconnected', () => {
    if (closing) log.debug('mongodb disconnected');
    else log.warn('mongodb disconnected');
  });
  conn.on('reconnected', () => log.info('mongodb reconnected'));
  await conn.asPromise();
  await conn.db!.admin().ping();
  log.info({ db: conn.name }, 'mongodb connected');
  return conn;
}

/** True when the connection answers a ping within `timeoutMs`. */
export async function mongoHealthy(conn: Connection, timeoutMs = 2000): Promise<boolean> {
  if (conn.readyState !== 1 || !conn.db) return false;
  try {
    await Promise.race([
      conn.db.admin().ping(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('ping timeout')), timeoutMs).unref(),
      ),
    ]);
    return true;
  } catch {
    return false;
  }
}

import mongoose, { type Connection } from 'mongoose';
import type { Logger } from './logger.js';

/** Options of {@link connectMongo}. */
export interface MongoConnectOptions {
  /** Shown in the server's logs and `currentOp`. */
  appName?: string;
  /**
   * The deadline in ms of every wait on the store (`STORE_TIMEOUT_MS`): selecting a server,
   * getting a connection from the pool, opening one, each answer on a socket, and a command
   * buffered while mongoose is disconnected. A call on a hung store fails with a driver
   * timeout error instead of waiting as long as the store hangs; a read the driver retries
   * once can wait about twice this. Reads and writes that take longer than this on a healthy
   * store fail too, so it bounds the slowest query a service may run.
   * @default 5000
   */
  timeoutMs?: number;
}

/**
 * Opens a dedicated mongoose connection (not the global default, so tests and services can
 * hold several) and waits until it answers a ping. Every wait on the store is bounded by
 * {@link MongoConnectOptions.timeoutMs}.
 */
export async function connectMongo(
  url: string,
  log: Logger,
  opts: MongoConnectOptions = {},
): Promise<Connection> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const conn = mongoose.createConnection(url, {
    appName: opts.appName,
    // n.b. the driver has no working operation timeout (its timeoutMS is a no-op): each
    // phase of a call gets its own bound, so a frozen store (connections open, no answer)
    // fails calls instead of holding them for the length of the freeze.
    serverSelectionTimeoutMS: timeoutMs,
    waitQueueTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    // Small deployments: keep the pool modest, hot paths are short.
    maxPoolSize: 20,
    autoIndex: false,
  });
  // a command issued while mongoose is disconnected waits in its buffer at most this long
  conn.set('bufferTimeoutMS', timeoutMs);
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

import { EventEmitter, once } from 'node:events';
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type Message,
  type Options,
} from 'amqplib';
import type { Logger } from '../logger.js';
import { sleep } from '../lifecycle.js';
import { Consumer, type ConsumerOptions, type DeliveryHandler } from './consumer.js';
import { coalesceWrites, socketOf } from './coalesce.js';
import { PublishNackError, PublishUnconfirmedError, UnroutableError } from './errors.js';

export interface AmqpClientOptions {
  /**
   * The broker to connect to: one URL, or the URLs of a cluster's nodes (an array, or one
   * string with commas between them). The client connects to the first that answers; when
   * that connection is lost it tries the next node first, round the list, so it lands on a
   * live node of the cluster.
   */
  url: string | readonly string[];
  /** Shown as the connection name in the RabbitMQ management UI. */
  name: string;
  log: Logger;
  /** Runs on a fresh channel after every (re)connect, before consumers resume: declare topology here. */
  setup?: (ch: Channel) => Promise<void>;
  /** First reconnect delay in ms (default 200); doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  /** Longest reconnect delay in ms (default 5000). */
  maxReconnectDelayMs?: number;
  /**
   * How long one connection attempt (TCP, TLS, AMQP handshake) may take before the next node
   * is tried; a node that is stopping can accept sockets without ever answering.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /** How long a publish waits for a connection, flow control and its confirm (default 10000 ms). */
  publishTimeoutMs?: number;
  /** Observes client events for metrics. */
  onEvent?: (event: 'reconnect' | 'blocked' | 'stale-ack' | 'returned') => void;
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
  returned?: Message;
}

/**
 * One AMQP connection with a confirm channel for publishing and any number of consumers,
 * each on its own channel. amqplib does not reconnect by itself: this does, with backoff,
 * re-running `setup` (topology) and resuming every consumer. Publishes are `mandatory` and
 * persistent; each resolves only on the broker's confirm and rejects on a nack, a return
 * (unroutable) or a lost channel, so callers never mistake "written to a socket" for "stored".
 */
export class AmqpClient extends EventEmitter {
  private conn: ChannelModel | null = null;
  private pub: ConfirmChannel | null = null;
  private pubOpening: Promise<ConfirmChannel> | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly consumers = new Set<Consumer>();
  private connecting: Promise<void> | null = null;
  private closed = false;
  private blocked = false;
  private needsDrain = false;
  private seq = 0;
  private closePromise: Promise<void> | null = null;
  private readonly stop = new AbortController();
  private readonly urls: readonly string[];
  /** Index in `urls` of the node the next connect attempt tries first. */
  private nextUrl = 0;
  private current: string | null = null;

  constructor(private readonly opts: AmqpClientOptions) {
    super();
    this.setMaxListeners(0);
    this.urls = (typeof opts.url === 'string' ? [opts.url] : [...opts.url])
      .flatMap((u) => u.split(','))
      .map((u) => u.trim())
      .filter((u) => u !== '');
    if (this.urls.length === 0) throw new Error('AmqpClient needs at least one broker URL');
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.conn !== null;
  }

  /** `host:port` of the broker node this client is connected to, or null while disconnected. */
  get endpoint(): string | null {
    return this.conn && this.current ? endpointOf(this.current) : null;
  }

  /** Connects (retrying with backoff until it succeeds or the client is closed). */
  start(): Promise<void> {
    this.connecting ??= this.connectLoop();
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    let delay = this.opts.reconnectDelayMs ?? 200;
    const max = this.opts.maxReconnectDelayMs ?? 5000;
    for (let attempt = 1; !this.closed; attempt++) {
      // n.b. one round over every node before a pause: a cluster with one node down is
      // reached at once through the next
      const url = this.urls[this.nextUrl % this.urls.length]!;
      try {
        await this.connectOnce(url);
        this.connecting = null;
        return;
      } catch (err) {
        this.nextUrl = (this.nextUrl + 1) % this.urls.length;
        const roundDone = attempt % this.urls.length === 0;
        this.opts.log.warn(
          {
            err: errInfo(err),
            attempt,
            broker: endpointOf(url),
            ...(roundDone ? { retryInMs: delay } : {}),
          },
          'rabbitmq connect failed',
        );
        if (!roundDone) continue;
        await sleep(delay, this.stop.signal).catch(() => undefined);
        delay = Math.min(delay * 2, max);
      }
    }
    this.connecting = null;
  }

  private async connectOnce(url: string): Promise<void> {
    const conn = await amqp.connect(url, {
      clientProperties: { connection_name: this.opts.name },
      timeout: this.opts.connectTimeoutMs ?? 5000,
    });
    try {
      const socket = socketOf(conn);
      if (socket) coalesceWrites(socket);
      conn.on('error', (err: Error) =>
        this.opts.log.warn({ err: errInfo(err) }, 'rabbitmq connection error'),
      );
      conn.on('blocked', (reason: string) => {
        this.blocked = true;
        this.opts.onEvent?.('blocked');
        this.opts.log.warn({ reason }, 'rabbitmq blocked the connection (resource alarm)');
      });
      conn.on('unblocked', () => {
        this.blocked = false;
        this.emit('unblocked');
        this.opts.log.info('rabbitmq unblocked the connection');
      });
      if (this.opts.setup) {
        const ch = await conn.createChannel();
        await this.opts.setup(ch);
        await ch.close();
      }
      this.conn = conn;
      this.current = url;
      this.blocked = false;
      await this.openPublisher();
      for (const c of this.consumers) await c.attach(conn);
    } catch (err) {
      this.conn = null;
      await conn.close().catch(() => undefined);
      throw err;
    }
    conn.once('close', () => this.onConnectionClosed(conn));
    this.opts.log.info({ name: this.opts.name, broker: endpointOf(url) }, 'rabbitmq connected');
    this.emit('connected');
  }

  private onConnectionClosed(conn: ChannelModel): void {
    if (this.conn !== conn) return;
    this.conn = null;
    this.pub = null;
    this.failPending('connection closed before the broker confirmed');
    for (const c of this.consumers) c.detach();
    if (this.closed) return;
    // n.b. the node just lost is likely down: try the next one first
    this.nextUrl = (this.nextUrl + 1) % this.urls.length;
    this.opts.onEvent?.('reconnect');
    this.opts.log.warn(
      { broker: this.current ? endpointOf(this.current) : null },
      'rabbitmq connection lost; reconnecting',
    );
    this.emit('disconnected');
    void this.start();
  }

  private failPending(reason: string): void {
    for (const [, p] of this.pending) p.reject(new PublishUnconfirmedError(reason));
    this.pending.clear();
  }

  private async openPublisher(): Promise<ConfirmChannel> {
    const conn = this.conn;
    if (!conn) throw new PublishUnconfirmedError('not connected to rabbitmq');
    this.pubOpening ??= (async () => {
      const ch = await conn.createConfirmChannel();
      ch.on('error', (err: Error) =>
        this.opts.log.warn({ err: errInfo(err) }, 'publish channel error'),
      );
      ch.on('return', (msg: Message) => {
        const id = msg.properties.headers?.['x-conveyor-seq'];
        const p = typeof id === 'string' ? this.pending.get(id) : undefined;
        this.opts.onEvent?.('returned');
        if (p) p.returned = msg;
      });
      ch.on('drain', () => {
        this.needsDrain = false;
        this.emit('drain');
      });
      ch.once('close', () => {
        if (this.pub === ch) this.pub = null;
        // n.b. a channel-level error (e.g. publishing to a missing exchange) closes only this
        // channel; its unconfirmed publishes can never be confirmed now.
        this.failPending('publish channel closed before the broker confirmed');
      });
      this.pub = ch;
      return ch;
    })().finally(() => {
      this.pubOpening = null;
    });
    return this.pubOpening;
  }

  /** Waits until a publish channel is open, the connection is not blocked and the buffer drained. */
  private async publishChannel(deadline: number): Promise<ConfirmChannel> {
    for (;;) {
      if (this.closed) throw new PublishUnconfirmedError('client is closed');
      const left = deadline - Date.now();
      if (left <= 0)
        throw new PublishUnconfirmedError('timed out waiting for rabbitmq to accept publishes');
      if (!this.conn) {
        void this.start();
        await waitEvent(this, 'connected', Math.min(left, 250));
        continue;
      }
      if (this.blocked) {
        await waitEvent(this, 'unblocked', Math.min(left, 250));
        continue;
      }
      if (this.needsDrain) {
        await waitEvent(this, 'drain', Math.min(left, 250));
        continue;
      }
      const ch = this.pub ?? (await this.openPublisher().catch(() => null));
      if (ch) return ch;
      await sleep(Math.min(left, 100));
    }
  }

  /**
   * Publishes persistently with `mandatory`, resolving on the broker's confirm. Rejects with
   * {@link UnroutableError}, {@link PublishNackError} or {@link PublishUnconfirmedError}.
   */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish = {},
  ): Promise<void> {
    const deadline = Date.now() + (this.opts.publishTimeoutMs ?? 10_000);
    const ch = await this.publishChannel(deadline);
    const id = `${process.pid}-${++this.seq}`;
    const confirmed = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
    });
    const headers = { ...options.headers, 'x-conveyor-seq': id };
    const ok = ch.publish(
      exchange,
      routingKey,
      content,
      {
        persistent: true,
        contentType: 'application/json',
        ...options,
        headers,
        mandatory: options.mandatory ?? true,
      },
      (err) => {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        if (err) p.reject(new PublishNackError(exchange, routingKey));
        else if (p.returned)
          p.reject(new UnroutableError(exchange, routingKey, replyText(p.returned)));
        else p.resolve();
      },
    );
    if (!ok) this.needsDrain = true;
    const timer = setTimeout(
      () => {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        p.reject(new PublishUnconfirmedError('no confirm from rabbitmq in time'));
      },
      Math.max(deadline - Date.now(), 1000),
    );
    try {
      await confirmed;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts a consumer that lives across reconnects. Resolves once it is consuming (or
   * immediately when not yet connected: it attaches on connect).
   */
  async consume(options: ConsumerOptions, handler: DeliveryHandler): Promise<Consumer> {
    const consumer = new Consumer(
      options,
      handler,
      this.opts.log,
      () => this.opts.onEvent?.('stale-ack'),
      () => this.conn,
    );
    this.consumers.add(consumer);
    consumer.onStopped(() => this.consumers.delete(consumer));
    if (this.conn) await consumer.attach(this.conn);
    return consumer;
  }

  /** Runs `fn` on a short-lived channel (declarations, checks, purges). */
  async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    if (!this.conn) await this.start();
    const conn = this.conn;
    if (!conn) throw new Error('not connected to rabbitmq');
    const ch = await conn.createChannel();
    ch.on('error', () => undefined); // n.b. the error also rejects the pending operation
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Cancels every consumer (stop intake) without closing the connection. */
  async cancelConsumers(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.cancel()));
  }

  /** Closes consumers, channels and the connection. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.closed = true;
      this.stop.abort();
      await this.cancelConsumers().catch(() => undefined);
      const conn = this.conn;
      this.conn = null;
      if (this.pub) await this.pub.waitForConfirms().catch(() => undefined);
      this.failPending('client closed');
      if (conn) await conn.close().catch(() => undefined);
    })();
    return this.closePromise;
  }
}

function waitEvent(emitter: EventEmitter, event: string, ms: number): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  return once(emitter, event, { signal: ac.signal })
    .then(() => undefined)
    .catch(() => undefined)
    .finally(() => clearTimeout(timer));
}

export function errInfo(err: unknown): { message: string; code?: unknown } {
  if (err instanceof Error) return { message: err.message, code: (err as { code?: unknown }).code };
  return { message: String(err) };
}

/** `host:port` of a broker URL, never its credentials. */
function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'amqps:' ? '5671' : '5672')}`;
  } catch {
    return '?';
  }
}

function replyText(msg: Message): string {
  const fields = msg.fields as { replyCode?: number; replyText?: string };
  return `${fields.replyCode ?? 312} ${fields.replyText ?? 'NO_ROUTE'}`;
}

import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import { sleep } from '../lifecycle.js';

export interface ConsumerOptions {
  /** Queue to consume; for `declare` consumers, the name is what `declare` returns. */
  queue?: string;
  /**
   * Declares a queue on the consumer's channel before consuming and returns its name; runs on
   * every (re)attach. Use it for exclusive, server-named queues (events, control broadcasts).
   */
  declare?: (ch: Channel) => Promise<string>;
  /** Unacked deliveries the broker may send this consumer (per-consumer prefetch). */
  prefetch: number;
  /** Consumer tag prefix, for the management UI. */
  tag?: string;
  /**
   * The broker forgets each message as it sends it (no acks; `prefetch` does not apply and
   * `ack`/`nack` do nothing). Only for live-update queues whose consumer would ack on
   * arrival anyway: it saves the broker and the client an ack per message.
   * @default false
   */
  noAck?: boolean;
}

/** One received message and the means to settle it on the channel it arrived on. */
export interface Delivery {
  readonly message: ConsumeMessage;
  /** Acks; a no-op (counted) when the channel the message came on is gone. */
  ack(): void;
  /** Negative-acks: `requeue=false` dead-letters the message. No-op on a dead channel. */
  nack(requeue: boolean): void;
  /** Whether the channel this message came on is still open. */
  readonly live: boolean;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void> | void;

/**
 * A consumer that survives reconnects: the client calls `attach` with each new connection.
 * A delivery settles only on the channel it came from — after a reconnect its tag means
 * nothing (or another message), so settling it is skipped; the broker redelivers it.
 */
export class Consumer {
  private ch: Channel | null = null;
  private consumerTag: string | null = null;
  private stopped = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private stoppedListeners: Array<() => void> = [];
  private reattach: Promise<void> | null = null;
  /** The queue name of the current attachment (server-named queues change per attach). */
  queueName: string | null = null;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly handler: DeliveryHandler,
    private readonly log: Logger,
    private readonly onStaleAck: () => void,
    private readonly currentConnection: () => ChannelModel | null,
  ) {}

  /** Number of deliveries being handled right now. */
  get active(): number {
    return this.inFlight;
  }

  onStopped(fn: () => void): void {
    this.stoppedListeners.push(fn);
  }

  /** Opens a channel on `conn` and starts consuming. */
  async attach(conn: ChannelModel): Promise<void> {
    if (this.stopped) return;
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) =>
      this.log.warn({ err: err.message, queue: this.queueName }, 'consumer channel error'),
    );
    await ch.prefetch(this.options.prefetch, false);
    const queue = this.options.declare ? await this.options.declare(ch) : this.options.queue;
    if (!queue) throw new Error('consumer needs a queue or a declare function');
    this.queueName = queue;
    this.ch = ch;
    ch.once('close', () => {
      if (this.ch !== ch) return;
      this.ch = null;
      this.consumerTag = null;
      // The channel died but maybe not the connection (e.g. the queue was deleted):
      // re-attach on the live connection after a pause. Connection loss re-attaches via the client.
      if (!this.stopped) this.scheduleReattach();
    });
    ch.on('cancel', () => {
      // The broker cancelled us (queue deleted / failover): consume again after a pause.
      this.log.warn({ queue }, 'consumer cancelled by the broker');
      if (this.ch === ch) {
        this.ch = null;
        void ch.close().catch(() => undefined);
      }
    });
    const { consumerTag } = await ch.consume(
      queue,
      (msg) => {
        if (msg) this.dispatch(ch, msg);
      },
      {
        noAck: this.options.noAck ?? false,
        ...(this.options.tag
          ? { consumerTag: `${this.options.tag}-${process.pid}-${Date.now()}` }
          : {}),
      },
    );
    this.consumerTag = consumerTag;
    this.log.debug({ queue, prefetch: this.options.prefetch }, 'consuming');
  }

  private scheduleReattach(): void {
    this.reattach ??= (async () => {
      await sleep(500);
      this.reattach = null;
      const conn = this.currentConnection();
      if (!conn || this.stopped || this.ch) return;
      await this.attach(conn).catch((err: unknown) => {
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          're-consume failed; retrying',
        );
        this.scheduleReattach();
      });
    })();
  }

  /**
   * Runs `fn` on the channel this consumer is attached with and its queue (e.g. to change a
   * server-named queue's bindings while consuming). Rejects when not attached right now; the
   * next attachment runs `declare` again, which should bind what is wanted at that time.
   */
  async onChannel<T>(fn: (ch: Channel, queue: string) => Promise<T>): Promise<T> {
    const ch = this.ch;
    const queue = this.queueName;
    if (!ch || !queue) throw new Error(`consumer of ${queue ?? 'its queue'} is not attached`);
    return fn(ch, queue);
  }

  /** Forgets the channel of a dead connection. */
  detach(): void {
    this.ch = null;
    this.consumerTag = null;
  }

  private dispatch(ch: Channel, message: ConsumeMessage): void {
    let settled = false;
    const isLive = () => this.ch === ch;
    const settle = (what: 'ack' | 'nack', requeue = false) => {
      if (settled) return;
      settled = true;
      if (this.options.noAck) return;
      if (!isLive()) {
        this.onStaleAck();
        this.log.debug(
          { tag: message.fields.deliveryTag },
          'not settling a delivery from a closed channel',
        );
        return;
      }
      try {
        if (what === 'ack') ch.ack(message);
        else ch.nack(message, false, requeue);
      } catch (err) {
        this.onStaleAck();
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'settling a delivery failed',
        );
      }
    };
    const delivery: Delivery = {
      message,
      ack: () => settle('ack'),
      nack: (requeue) => settle('nack', requeue),
      get live() {
        return isLive();
      },
    };
    this.inFlight++;
    Promise.resolve()
      .then(() => this.handler(delivery))
      .catch((err: unknown) => {
        // A handler that throws is a bug or a poison message: requeue; the queue's delivery
        // limit dead-letters it if it keeps failing.
        this.log.error(
          { err: err instanceof Error ? { message: err.message, stack: err.stack } : err },
          'delivery handler threw',
        );
        settle('nack', true);
      })
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** Stops intake: no new deliveries; in-flight ones go on. Idempotent. */
  async cancel(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const ch = this.ch;
    const tag = this.consumerTag;
    if (ch && tag) await ch.cancel(tag).catch(() => undefined);
    for (const fn of this.stoppedListeners) fn();
  }

  /** Resolves when no delivery is in flight, or after `timeoutMs`; true if drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return true;
    return Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      sleep(timeoutMs).then(() => false),
    ]);
  }

  /** Closes the channel (unsettled deliveries return to the queue). */
  async close(): Promise<void> {
    await this.cancel();
    const ch = this.ch;
    this.ch = null;
    if (ch) await ch.close().catch(() => undefined);
  }
}

import type { ConsumeMessage } from 'amqplib';

/** Where a coalescer's settlements go: the channel the deliveries arrived on. */
export interface AckSink {
  /** `basic.ack` of `message`; with `multiple`, of every unsettled delivery up to it too. */
  ack(message: ConsumeMessage, multiple: boolean): void;
  /** `basic.nack` of `message` alone. */
  nack(message: ConsumeMessage, requeue: boolean): void;
}

/**
 * Settles the deliveries of one channel, sending the acks asked for within one turn of the
 * event loop as few frames as it can: the oldest unsettled deliveries, when all of them are
 * acked, go as one `basic.ack multiple=true` up to the newest of them; any other ack goes
 * alone. A multiple ack never covers a delivery whose ack was not asked for — it stops at the
 * first one still open — so a delivery is never acked before its handler settled it. Nacks go
 * at once, alone. To a quorum queue each ack frame is one settle command in its log, so a
 * worker that finishes a batch of jobs together costs the broker one instead of one per job.
 */
export class AckCoalescer {
  /** Delivered and not yet settled, by delivery tag (tags rise, so oldest first). */
  private readonly open = new Map<number, ConsumeMessage>();
  /** Tags whose ack was asked for and not yet sent. */
  private readonly acked = new Set<number>();
  private scheduled = false;

  constructor(
    private readonly sink: AckSink,
    /** Runs the flush after the current turn. @default setImmediate */
    private readonly later: (fn: () => void) => void = (fn) => setImmediate(fn),
  ) {}

  /** Records a delivery as open: call it for every delivery, in arrival order. */
  received(message: ConsumeMessage): void {
    this.open.set(message.fields.deliveryTag, message);
  }

  /** Asks for the ack of an open delivery; it is sent by the next flush. */
  ack(message: ConsumeMessage): void {
    const tag = message.fields.deliveryTag;
    if (!this.open.has(tag)) return;
    this.acked.add(tag);
    if (this.scheduled) return;
    this.scheduled = true;
    this.later(() => this.flush());
  }

  /** Nacks an open delivery now. */
  nack(message: ConsumeMessage, requeue: boolean): void {
    const tag = message.fields.deliveryTag;
    if (!this.open.delete(tag)) return;
    this.acked.delete(tag);
    this.sink.nack(message, requeue);
  }

  /** Deliveries not settled yet (open, or acked and not sent). */
  get unsettled(): number {
    return this.open.size;
  }

  /** Sends the acks asked for so far. */
  flush(): void {
    this.scheduled = false;
    if (this.acked.size === 0) return;
    let last: ConsumeMessage | null = null;
    let run = 0;
    for (const [tag, message] of this.open) {
      if (!this.acked.has(tag)) break;
      last = message;
      run++;
    }
    if (last) {
      const upTo = last.fields.deliveryTag;
      for (const tag of this.open.keys()) {
        if (tag > upTo) break;
        this.open.delete(tag);
        this.acked.delete(tag);
      }
      this.sink.ack(last, run > 1);
    }
    for (const tag of this.acked) {
      const message = this.open.get(tag)!;
      this.open.delete(tag);
      this.sink.ack(message, false);
    }
    this.acked.clear();
  }
}

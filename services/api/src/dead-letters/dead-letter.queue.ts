import { createHash } from 'node:crypto';
import type { AmqpClient } from '@conveyor/platform';

type Channel = Parameters<Parameters<AmqpClient['withChannel']>[0]>[0];
type GetMessage = Exclude<Awaited<ReturnType<Channel['get']>>, false>;

/** One dead-lettered message as the dashboard lists it. */
export interface DeadLetter {
  /** Stable key of the message: a digest of its body and first death. */
  key: string;
  /** Why it died (`rejected`, `delivery_limit`, `expired`, `maxlen`), from `x-death`. */
  reason: string | null;
  /** The work queue it died in, and the exchange / routing key it was first published with. */
  queue: string | null;
  exchange: string | null;
  routingKey: string | null;
  /** How many times it died in that queue for that reason. */
  count: number;
  firstDeathAt: string | null;
  /** The body as text (at most 4 KiB), and the job it dispatches when it is a job.dispatch. */
  body: string;
  truncated: boolean;
  jobId: string | null;
  type: string | null;
}

interface XDeath {
  reason?: unknown;
  queue?: unknown;
  exchange?: unknown;
  'routing-keys'?: unknown;
  count?: unknown;
  time?: unknown;
}

const BODY_LIMIT = 4096;
const str = (v: unknown) => (typeof v === 'string' ? v : v instanceof Buffer ? v.toString() : null);

function firstDeath(msg: GetMessage): XDeath | null {
  const deaths = (msg.properties.headers as Record<string, unknown> | undefined)?.['x-death'];
  return Array.isArray(deaths) && deaths.length > 0 ? (deaths[0] as XDeath) : null;
}

function describe(msg: GetMessage): DeadLetter {
  const death = firstDeath(msg);
  const text = msg.content.toString('utf8');
  let jobId: string | null = null;
  let type: string | null = null;
  try {
    const parsed = JSON.parse(text) as {
      type?: unknown;
      data?: { jobId?: unknown; type?: unknown };
    };
    if (typeof parsed.data?.jobId === 'string') jobId = parsed.data.jobId;
    if (typeof parsed.data?.type === 'string') type = parsed.data.type;
  } catch {
    // n.b. not JSON: a poison message; listed with its raw body
  }
  const time = death?.time as { value?: unknown } | Date | number | undefined;
  const seconds =
    typeof time === 'number'
      ? time
      : time instanceof Date
        ? time.getTime() / 1000
        : Number(time?.value ?? NaN);
  const keys = Array.isArray(death?.['routing-keys']) ? (death['routing-keys'] as unknown[]) : [];
  return {
    key: createHash('sha256')
      .update(msg.content)
      .update(String(death?.queue ?? ''))
      .update(String(seconds))
      .digest('hex')
      .slice(0, 24),
    reason: str(death?.reason),
    queue: str(death?.queue),
    exchange: str(death?.exchange),
    routingKey: str(keys[0]) ?? msg.fields.routingKey,
    count: Number(death?.count ?? 1),
    firstDeathAt: Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null,
    body: text.slice(0, BODY_LIMIT),
    truncated: text.length > BODY_LIMIT,
    jobId,
    type,
  };
}

/**
 * The dead-letter queue, read without consuming it: messages are fetched unacknowledged on a
 * channel of their own and go back to the queue when that channel closes. `requeue` publishes
 * one message again to the exchange and routing key it first had (with its `x-death` history,
 * so its count grows if it dies again), then acks it; `discard` acks it. Both look at most
 * `scanLimit` messages deep.
 */
export class DeadLetterQueue {
  constructor(
    private readonly amqp: AmqpClient,
    private readonly queue: string,
    private readonly scanLimit = 1000,
  ) {}

  /** The first `limit` messages, and how many the queue holds. */
  async list(limit: number): Promise<{ items: DeadLetter[]; total: number }> {
    return this.amqp.withChannel(async (ch) => {
      const { messageCount } = await ch.checkQueue(this.queue);
      const items: DeadLetter[] = [];
      while (items.length < limit) {
        const msg = await ch.get(this.queue, { noAck: false });
        if (msg === false) break;
        items.push(describe(msg));
      }
      return { items, total: messageCount };
    });
  }

  /** Publishes the message with `key` again where it came from; false when it is not found. */
  requeue(key: string): Promise<DeadLetter | null> {
    return this.take(key, async (msg, info) => {
      const headers = { ...(msg.properties.headers as Record<string, unknown> | undefined) };
      delete headers['x-conveyor-seq'];
      await this.amqp.publish(info.exchange ?? '', info.routingKey ?? '', msg.content, {
        contentType: msg.properties.contentType as string | undefined,
        messageId: msg.properties.messageId as string | undefined,
        correlationId: msg.properties.correlationId as string | undefined,
        headers,
      });
    });
  }

  /** Deletes the message with `key`; null when it is not found. */
  discard(key: string): Promise<DeadLetter | null> {
    return this.take(key, async () => undefined);
  }

  private take(
    key: string,
    act: (msg: GetMessage, info: DeadLetter) => Promise<void>,
  ): Promise<DeadLetter | null> {
    return this.amqp.withChannel(async (ch) => {
      for (let i = 0; i < this.scanLimit; i++) {
        const msg = await ch.get(this.queue, { noAck: false });
        if (msg === false) return null;
        const info = describe(msg);
        if (info.key !== key) continue;
        await act(msg, info);
        ch.ack(msg);
        return info;
      }
      return null;
    });
  }
}

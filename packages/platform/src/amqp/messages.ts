import { checkEnvelope, type Envelope, type MessageDefinition } from '@conveyor/contracts';
import type { z } from 'zod';
import type { AmqpClient } from './client.js';
import type { Consumer, ConsumerOptions, Delivery } from './consumer.js';
import type { Logger } from '../logger.js';

/**
 * Publishes a validated envelope; resolves on the broker's confirm. The envelope's id,
 * type and correlation id also travel as AMQP properties so tools can read them.
 */
export function publishEnvelope<T extends string, D extends z.ZodType>(
  client: AmqpClient,
  def: MessageDefinition<T, D>,
  exchange: string,
  routingKey: string,
  env: Envelope<z.infer<D>>,
  opts: { priority?: number; mandatory?: boolean } = {},
): Promise<void> {
  if (env.type !== def.type)
    throw new Error(`envelope of type ${env.type} published as ${def.type}`);
  return client.publish(exchange, routingKey, Buffer.from(JSON.stringify(env)), {
    messageId: env.id,
    type: env.type,
    correlationId: env.correlationId,
    timestamp: Math.floor(Date.parse(env.occurredAt) / 1000),
    headers: env.traceparent ? { traceparent: env.traceparent } : {},
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    ...(opts.mandatory !== undefined ? { mandatory: opts.mandatory } : {}),
  });
}

/** Why a delivery was rejected before reaching the handler. */
export type InvalidMessageReason = 'not-json' | 'schema';

/**
 * Consumes messages of one definition. The broker delivers bytes, so every body is parsed and
 * validated against the definition's envelope schema; an invalid one is dead-lettered
 * (`nack` without requeue) and reported through `onInvalid`, never handed to `handle`.
 * With `trusted` (a queue only Conveyor's own producers publish to, such as a work queue),
 * the envelope gets the definition's cheap hand-written check instead (see checkEnvelope).
 */
export function consumeEnvelopes<T extends string, D extends z.ZodType>(
  client: AmqpClient,
  def: MessageDefinition<T, D>,
  options: ConsumerOptions,
  handle: (env: Envelope<z.infer<D>>, delivery: Delivery) => Promise<void> | void,
  hooks: {
    log: Logger;
    onInvalid?: (reason: InvalidMessageReason) => void;
    /** Check the envelope by its definition's `shape`, not its full schema. @default false */
    trusted?: boolean;
  },
): Promise<Consumer> {
  return client.consume(options, async (delivery) => {
    let body: unknown;
    try {
      body = JSON.parse(delivery.message.content.toString('utf8'));
    } catch {
      hooks.log.warn(
        { queue: options.queue, messageId: delivery.message.properties.messageId },
        'dead-lettering a message that is not JSON',
      );
      hooks.onInvalid?.('not-json');
      delivery.nack(false);
      return;
    }
    const checked = hooks.trusted ? trustedCheck(def, body) : parse(def, body);
    if (!checked.ok) {
      hooks.log.warn(
        {
          queue: options.queue,
          messageId: delivery.message.properties.messageId,
          issues: checked.issues,
        },
        `dead-lettering an invalid ${def.type} message`,
      );
      hooks.onInvalid?.('schema');
      delivery.nack(false);
      return;
    }
    await handle(checked.env, delivery);
  });
}

function parse<T extends string, D extends z.ZodType>(
  def: MessageDefinition<T, D>,
  body: unknown,
): { ok: true; env: Envelope<z.infer<D>> } | { ok: false; issues: unknown } {
  const parsed = def.envelope.safeParse(body);
  return parsed.success
    ? { ok: true, env: parsed.data }
    : { ok: false, issues: parsed.error.issues.slice(0, 5) };
}

function trustedCheck<T extends string, D extends z.ZodType>(
  def: MessageDefinition<T, D>,
  body: unknown,
): { ok: true; env: Envelope<z.infer<D>> } | { ok: false; issues: unknown } {
  const c = checkEnvelope(def, body);
  return c.ok ? c : { ok: false, issues: [c.reason] };
}

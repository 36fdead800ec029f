import { expect, it } from '@jest/globals';
import type { ConsumeMessage } from 'amqplib';
import { AckCoalescer } from './ack-coalescer.js';

// What goes on the wire for acks asked for together: one multiple ack for the oldest open
// deliveries when all of them are done, single acks otherwise — never an ack for a delivery
// whose handler has not settled it.

const message = (tag: number) => ({ fields: { deliveryTag: tag } }) as ConsumeMessage;

function setup(tags: number[]) {
  const sent: string[] = [];
  const pending: Array<() => void> = [];
  const acks = new AckCoalescer(
    {
      ack: (m, multiple) => sent.push(`ack ${m.fields.deliveryTag}${multiple ? ' multiple' : ''}`),
      nack: (m, requeue) => sent.push(`nack ${m.fields.deliveryTag}${requeue ? ' requeue' : ''}`),
    },
    (fn) => pending.push(fn),
  );
  const messages = new Map(tags.map((t) => [t, message(t)]));
  for (const m of messages.values()) acks.received(m);
  const turn = () => {
    for (const fn of pending.splice(0)) fn();
  };
  return { acks, sent, turn, m: (t: number) => messages.get(t)! };
}

it('sends the acks of the oldest open deliveries as one multiple ack', () => {
  const { acks, sent, turn, m } = setup([1, 2, 3, 4, 5]);
  acks.ack(m(2));
  acks.ack(m(1));
  acks.ack(m(3));
  expect(sent).toEqual([]);
  turn();
  expect(sent).toEqual(['ack 3 multiple']);
  expect(acks.unsettled).toBe(2);
});

it('never covers a delivery still open: acks past it go alone', () => {
  const { acks, sent, turn, m } = setup([1, 2, 3, 4]);
  acks.ack(m(1));
  acks.ack(m(3));
  acks.ack(m(4));
  turn();
  expect(sent).toEqual(['ack 1', 'ack 3', 'ack 4']);
  acks.ack(m(2));
  turn();
  expect(sent.at(-1)).toBe('ack 2');
  expect(acks.unsettled).toBe(0);
});

it('nacks at once, and a later run of acks spans the nacked delivery', () => {
  const { acks, sent, turn, m } = setup([1, 2, 3]);
  acks.nack(m(2), true);
  expect(sent).toEqual(['nack 2 requeue']);
  acks.ack(m(3));
  acks.ack(m(1));
  turn();
  expect(sent).toEqual(['nack 2 requeue', 'ack 3 multiple']);
});

it('settles each delivery once and ignores tags it never received', () => {
  const { acks, sent, turn, m } = setup([1, 2]);
  acks.ack(m(1));
  acks.ack(m(1));
  acks.ack(message(9));
  turn();
  acks.ack(m(1));
  acks.nack(m(1), false);
  turn();
  expect(sent).toEqual(['ack 1']);
  expect(acks.unsettled).toBe(1);
});

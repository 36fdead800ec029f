import { EventEmitter } from 'node:events';
import type { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { Context } from 'koa';
import type { EventHub } from './hub.js';
import { openEventStream, type EventStream } from './stream.js';

/** Just enough of a Koa context for openEventStream; the body is what the client reads. */
function fakeContext(): Context & { body: PassThrough } {
  const req = Object.assign(new EventEmitter(), {
    socket: { setTimeout: () => undefined, setNoDelay: () => undefined },
  });
  return { req, set: () => undefined } as unknown as Context & { body: PassThrough };
}

/** A hub with no broker behind it: the test writes to the stream itself. */
const quietHub = {
  subscribe: () => () => undefined,
  ready: () => Promise.resolve(),
} as unknown as EventHub;

async function open(): Promise<{ stream: EventStream; chunks: string[] }> {
  const ctx = fakeContext();
  let stream: EventStream | undefined;
  await openEventStream(
    ctx,
    quietHub,
    {},
    {
      onOpen: (s) => {
        stream = s;
      },
      onEvent: () => undefined,
    },
  );
  const chunks: string[] = [];
  ctx.body.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { stream: stream!, chunks };
}

describe('an event stream', () => {
  it('sends the events written in one moment as one write', async () => {
    const { stream, chunks } = await open();
    for (let i = 0; i < 50; i++) stream.write('lifecycle', { i });
    await new Promise((r) => setTimeout(r, 100));
    const events = chunks.slice(1); // n.b. the first chunk is the ': open' comment
    expect(events).toHaveLength(1);
    expect(events[0]!.match(/^event: lifecycle$/gm)).toHaveLength(50);
    stream.end();
  });

  it('writes what is pending before it ends, in order', async () => {
    const { stream, chunks } = await open();
    stream.write('lifecycle', { n: 1 });
    stream.write('lifecycle', { n: 2 });
    stream.end();
    await new Promise((r) => setImmediate(r));
    const text = chunks.join('');
    expect(text.indexOf('{"n":1}')).toBeGreaterThan(0);
    expect(text.indexOf('{"n":2}')).toBeGreaterThan(text.indexOf('{"n":1}'));
  });
});

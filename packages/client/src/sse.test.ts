import { describe, expect, it } from '@jest/globals';
import { parseEventStream, type SseMessage } from './sse.js';

async function parse(...chunks: string[]): Promise<SseMessage[]> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  async function* source() {
    yield* bytes;
  }
  const out: SseMessage[] = [];
  for await (const m of parseEventStream(source())) out.push(m);
  return out;
}

describe('parseEventStream', () => {
  it('reads named events with ids and JSON data, skipping comments (heartbeats)', async () => {
    const messages = await parse(
      ': open\n\n',
      'event: job\ndata: {"id":"a"}\n\n',
      ': heartbeat\n\n',
      'id: e1\nevent: progress\ndata: {"percent":50}\n\n',
    );
    expect(messages).toEqual([
      { event: 'job', data: '{"id":"a"}', lastEventId: '', retry: undefined },
      { event: 'progress', data: '{"percent":50}', lastEventId: 'e1', retry: undefined },
    ]);
  });

  it('joins data lines, defaults the name to message, and keeps the last id across messages', async () => {
    const messages = await parse('id: 7\ndata: one\ndata: two\n\ndata:three\n\n');
    expect(messages).toEqual([
      { event: 'message', data: 'one\ntwo', lastEventId: '7', retry: undefined },
      { event: 'message', data: 'three', lastEventId: '7', retry: undefined },
    ]);
  });

  it('reassembles lines and multi-byte characters split across chunks, with CRLF and CR endings', async () => {
    const euro = new TextEncoder().encode('data: 5 €\r\n\r\n');
    const cut = euro.length - 5; // inside the euro sign's three bytes
    async function* source() {
      yield new TextEncoder().encode('event: a\r');
      yield new TextEncoder().encode('\ndata: x\r\r');
      yield euro.slice(0, cut);
      yield euro.slice(cut);
    }
    const out: SseMessage[] = [];
    for await (const m of parseEventStream(source())) out.push(m);
    expect(out.map((m) => [m.event, m.data])).toEqual([
      ['a', 'x'],
      ['message', '5 €'],
    ]);
  });

  it('reads retry, ignores ids with NUL and fields it does not know, and drops an unfinished message', async () => {
    const messages = await parse('retry: 2500\nfoo: bar\nid: a\0b\ndata: x\n\n', 'data: cut off');
    expect(messages).toEqual([{ event: 'message', data: 'x', lastEventId: '', retry: 2500 }]);
  });

  it('dispatches nothing for a block without data, nor for a mid-stream BOM-prefixed field', async () => {
    expect(await parse('event: lonely\n\n', '\ufeffdata: not a data field\n\n')).toEqual([]);
  });

  it('strips a byte order mark at the start of the stream', async () => {
    expect(await parse('\ufeffdata: x\n\n')).toEqual([
      { event: 'message', data: 'x', lastEventId: '', retry: undefined },
    ]);
  });
});

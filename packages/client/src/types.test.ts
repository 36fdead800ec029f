import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineJobType } from '@conveyor/sdk';
import {
  ConveyorClient,
  batchItem,
  step,
  type Job,
  type PayloadInput,
  type ResultOutput,
} from './index.js';

// A definition of the SDK's shape (name, zod payload and result); the client only sees its structure.
const resize = {
  name: 'images.resize',
  payload: z.object({ url: z.url(), width: z.int().default(640) }),
  result: z.object({ bytes: z.int(), at: z.iso.datetime().transform((s) => new Date(s)) }),
};

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typeIs = <T extends true>(_proof: T) => undefined;

describe('typing by a job type definition', () => {
  it('types payload input and result output from the schemas (checked by the compiler)', () => {
    typeIs<Equal<PayloadInput<typeof resize>, { url: string; width?: number | undefined }>>(true);
    typeIs<Equal<ResultOutput<typeof resize>, { bytes: number; at: Date }>>(true);
    typeIs<Equal<ResultOutput<{ name: 'x'; payload: typeof resize.payload }>, unknown>>(true);

    const client = new ConveyorClient({ baseUrl: 'http://127.0.0.1:1', token: 't' });
    const submitted = (): Promise<
      Job<{ bytes: number; at: Date }, { url: string; width: number }>
    > => client.submit(resize, { url: 'https://example.com/a.png' });
    // @ts-expect-error width must be a number
    const wrong = () => client.submit(resize, { url: 'https://example.com/a.png', width: '1' });
    // @ts-expect-error url is required
    const missing = () => client.submit(resize, {});
    const byName = () => client.submit('images.resize', { anything: true });
    // @ts-expect-error a typed batch item checks its payload
    const badItem = () => batchItem(resize, { width: 2 });
    // @ts-expect-error a typed step checks its payload
    const badStep = () => step(resize, { url: 1 });
    const waited = async () => {
      const done = await client.wait(await submitted());
      const at: Date | undefined = done.result?.at;
      return at;
    };
    expect(
      [submitted, wrong, missing, byName, badItem, badStep, waited].every(
        (f) => typeof f === 'function',
      ),
    ).toBe(true);
  });

  it('is typed by a definition made with the SDK’s defineJobType', () => {
    const thumbnail = defineJobType({
      name: 'acme.thumbnail',
      payload: z.object({ uploadId: z.string(), width: z.int().default(320) }),
      result: z.object({ artifactId: z.string() }),
    });
    const untyped = defineJobType({ name: 'acme.ping', payload: z.object({}) });
    typeIs<Equal<PayloadInput<typeof thumbnail>, { uploadId: string; width?: number | undefined }>>(
      true,
    );
    typeIs<Equal<ResultOutput<typeof thumbnail>, { artifactId: string }>>(true);
    typeIs<Equal<ResultOutput<typeof untyped>, unknown>>(true);
    const client = new ConveyorClient({ baseUrl: 'http://127.0.0.1:1', token: 't' });
    // @ts-expect-error uploadId is required
    const bad = () => client.submit(thumbnail, { width: 1 });
    expect(typeof bad).toBe('function');
    expect([thumbnail.name, untyped.name]).toEqual(['acme.thumbnail', 'acme.ping']);
  });

  it('types a payload search: field with value, or text; pages typed by a definition', () => {
    const client = new ConveyorClient({ baseUrl: 'http://127.0.0.1:1', token: 't' });
    const byField = () => client.search({ field: 'url', value: 'https://example.com/a.png' });
    const byWords = () => client.searchPage({ text: 'invoice overdue' }, { status: 'failed' });
    const both = () => client.searchPage({ field: 'to', value: 'ann@example.com', text: 'x' });
    // @ts-expect-error a field needs its value
    const noValue = () => client.search({ field: 'to' });
    // @ts-expect-error a value needs its field
    const noField = () => client.searchPage({ value: 'ann@example.com', text: 'x' });
    // @ts-expect-error a search looks for something
    const nothing = () => client.search({});
    const typed = async () => {
      const page = await client.searchPage({ text: 'a' }, { type: resize, pageSize: 10 });
      const width: number | undefined = page.items[0]?.payload.width;
      const listed = await client.listPage({ type: resize });
      const bytes: number | undefined = listed.items[0]?.result?.bytes;
      for await (const job of client.search({ text: 'a' }, { type: resize })) return job.result?.at;
      return [width, bytes, page.nextCursor];
    };
    // n.b. the README's example, as written there
    const readme = async (conveyor: ConveyorClient) => {
      const toAnn = { field: 'to', value: 'ann@example.com' } as const;
      for await (const job of conveyor.search(toAnn, { type: 'email.send', status: 'failed' }))
        console.log(job.id, job.error?.message);
      const page = await conveyor.searchPage({ text: 'invoice overdue' }, { pageSize: 20 });
      if (page.nextCursor)
        await conveyor.searchPage({ text: 'invoice overdue' }, { cursor: page.nextCursor });
    };
    expect(
      [byField, byWords, both, noValue, noField, nothing, typed, readme].every(
        (f) => typeof f === 'function',
      ),
    ).toBe(true);
  });

  it('refuses options with neither or both of token and getToken', () => {
    expect(() => new ConveyorClient({ baseUrl: 'http://x' })).toThrow(TypeError);
    expect(
      () => new ConveyorClient({ baseUrl: 'http://x', token: 'a', getToken: () => 'b' }),
    ).toThrow(/exactly one of token and getToken/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { startTestApi, type TestApi } from '@conveyor/api/testing';
import { ConveyorClient, ValidationError, type Job, type PayloadSearch } from './index.js';

// Listing and payload search through the client against a running API and store. The test
// API runs no worker, so every submitted job stays queued. `email.send` is a built-in type
// that declares `to`, `cc`, `bcc`, `replyTo` and `subject` searchable.
const emailSend = {
  name: 'email.send',
  payload: z.object({ to: z.array(z.string()), subject: z.string(), text: z.string() }),
  result: z.object({ messageId: z.string() }),
} as const;

let api: TestApi;
let alice: ConveyorClient;
let bob: ConveyorClient;
const jobs: Record<string, Job> = {};

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  const client = async (sub: string) =>
    new ConveyorClient({ baseUrl: api.baseUrl, token: await api.token({ sub }) });
  [alice, bob] = await Promise.all([client('alice'), client('bob')]);
  const mail = (to: string[], subject: string) => ({ to, subject, text: 'never searched' });
  // n.b. one at a time: newest first is the order of creation
  jobs['overdue'] = await alice.submit(emailSend, mail(['Carol@Example.com'], 'Invoice overdue'));
  jobs['welcome'] = await alice.submit(emailSend, mail(['erin@example.com'], 'Welcome aboard'));
  jobs['paid'] = await alice.submit(emailSend, mail(['carol@example.com', 'x@y.io'], 'Paid'));
  jobs['count'] = await alice.submit('demo.count', { to: 3 });
  jobs['bobs'] = await bob.submit(emailSend, mail(['carol@example.com'], 'Invoice for Bob'));
});

afterAll(async () => {
  await api?.close();
});

const idsOf = (items: { id: string }[]) => items.map((j) => j.id);
const id = (key: string) => jobs[key]!.id;

async function searched(client: ConveyorClient, query: PayloadSearch, pageSize?: number) {
  const found: string[] = [];
  for await (const job of client.search(query, pageSize ? { pageSize } : {})) found.push(job.id);
  return found;
}

describe('ConveyorClient list and search', () => {
  it('lists the caller’s jobs newest first, page by page, with the API’s cursor', async () => {
    const first = await alice.listPage({ type: emailSend, pageSize: 2 });
    expect(idsOf(first.items)).toEqual([id('paid'), id('welcome')]);
    expect(first.nextCursor).toBe(id('welcome'));
    const second = await alice.listPage({ type: 'email.send', cursor: first.nextCursor! });
    expect(idsOf(second.items)).toEqual([id('overdue')]);
    expect(second.nextCursor).toBeNull();
    const all: string[] = [];
    for await (const job of alice.list({ status: 'queued', pageSize: 1 })) all.push(job.id);
    expect(all).toEqual([id('count'), id('paid'), id('welcome'), id('overdue')]);
  });

  it('finds jobs by a payload field’s value, ignoring case, within the caller’s own', async () => {
    expect(await searched(alice, { field: 'to', value: 'CAROL@example.com' })).toEqual([
      id('paid'),
      id('overdue'),
    ]);
    expect(await searched(bob, { field: 'to', value: 'carol@example.com' })).toEqual([id('bobs')]);
    // a path the type does not declare searchable finds nothing
    expect(await searched(alice, { field: 'text', value: 'never searched' })).toEqual([]);
  });

  it('finds jobs by words, and by a value and words together', async () => {
    expect(await searched(alice, { text: 'invoice' })).toEqual([id('overdue')]);
    expect(await searched(alice, { text: 'carol example' })).toEqual([id('paid'), id('overdue')]);
    expect(
      await searched(alice, { field: 'to', value: 'carol@example.com', text: 'paid' }),
    ).toEqual([id('paid')]);
  });

  it('pages a search with the API’s cursor, typed by a definition, and narrows it by filter', async () => {
    const query = { field: 'to', value: 'carol@example.com' } as const;
    const first = await alice.searchPage(query, { type: emailSend, pageSize: 1 });
    expect(idsOf(first.items)).toEqual([id('paid')]);
    const to: string[] | undefined = first.items[0]?.payload.to;
    expect(to).toEqual(['carol@example.com', 'x@y.io']);
    expect(first.nextCursor).toBe(id('paid'));
    const second = await alice.searchPage(query, { pageSize: 1, cursor: first.nextCursor! });
    expect(idsOf(second.items)).toEqual([id('overdue')]);
    // every page, asked for as iterated
    expect(await searched(alice, query, 1)).toEqual([id('paid'), id('overdue')]);
    expect(idsOf((await alice.searchPage(query, { status: 'failed' })).items)).toEqual([]);
    expect(idsOf((await alice.searchPage(query, { type: 'demo.count' })).items)).toEqual([]);
  });

  it('throws a ValidationError naming the wrong part of a malformed search', async () => {
    const fieldOf = async (query: PayloadSearch) => {
      const err = await alice.searchPage(query).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).errors.map((e) => e.field);
    };
    expect(await fieldOf({ field: 'a..b', value: 'x' })).toEqual(['field']);
    expect(await fieldOf({ text: '!! -' })).toEqual(['text']);
    // n.b. what the types refuse, from a caller without them
    expect(await fieldOf({ field: 'to' } as unknown as PayloadSearch)).toEqual(['value']);
  });
});

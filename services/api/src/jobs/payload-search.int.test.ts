import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { catalogueEntryOf, defineJobType, type JobResource } from '@conveyor/contracts';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// Payload search through the real API and store: keys extracted at submit, the search an
// equality on them, owner-scoped. The test API runs no worker: submitted jobs stay queued.
let api: TestApi;
let alice: string;
let bob: string;
let admin: string;
const ids: Record<string, string> = {};

const invoice = defineJobType({
  name: 'acme.invoice',
  payload: z.object({
    customer: z.object({ id: z.string(), name: z.string() }),
    note: z.string(),
  }),
  search: ['customer.id', 'customer.name'],
});

const submit = async (token: string, key: string, body: unknown) => {
  const res = await api.call('/v1/jobs', token, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(202);
  ids[key] = ((await res.json()) as { id: string }).id;
};

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  alice = await api.token({ sub: 'alice' });
  bob = await api.token({ sub: 'bob' });
  admin = await api.token({ sub: 'root', roles: ['admin'] });
  await api.deps.core.catalogue.register([catalogueEntryOf(invoice, 'acme')], {
    worker: 'acme',
    workerId: 'test',
    version: 'test',
  });
  const mail = (to: string[], subject: string) => ({
    type: 'email.send',
    payload: { to, subject, text: 'body words are not searchable' },
  });
  await submit(alice, 'carol', mail(['Carol@Example.com', 'dave@example.com'], 'Invoice overdue'));
  await submit(alice, 'erin', mail(['erin@example.com'], 'Welcome aboard'));
  await submit(bob, 'bobCarol', mail(['carol@example.com'], 'Invoice paid'));
  await submit(alice, 'count', { type: 'demo.count', payload: { to: 7 } });
  await submit(alice, 'acme', {
    type: 'acme.invoice',
    payload: { customer: { id: 'C-42', name: 'Globex Corporation' }, note: 'Rush order' },
  });
});

afterAll(async () => {
  await api?.close();
});

async function search(token: string, query: string) {
  const res = await api.call(`/v1/jobs/search?${query}`, token);
  const body = (await res.json()) as {
    items?: JobResource[];
    errors?: { field: string; message: string }[];
  };
  return { status: res.status, ids: (body.items ?? []).map((j) => j.id), errors: body.errors };
}

describe('GET /v1/jobs/search by payload', () => {
  it('finds an owner’s jobs by a field and value, ignoring case, an array element matching', async () => {
    expect((await search(alice, 'field=to&value=CAROL@example.com')).ids).toEqual([ids['carol']]);
    expect((await search(alice, 'field=to&value=dave@example.com')).ids).toEqual([ids['carol']]);
    expect((await search(alice, 'field=subject&value=welcome%20aboard')).ids).toEqual([
      ids['erin'],
    ]);
    // nested declared paths; a path the type does not declare finds nothing
    expect((await search(alice, 'field=customer.id&value=c-42')).ids).toEqual([ids['acme']]);
    expect((await search(alice, 'field=note&value=rush%20order')).ids).toEqual([]);
    expect(
      (await search(alice, 'field=text&value=body%20words%20are%20not%20searchable')).ids,
    ).toEqual([]);
    // a type that declares nothing: its top-level scalars
    expect((await search(alice, 'field=to&value=7')).ids).toEqual([ids['count']]);
  });

  it('finds jobs whose searchable strings hold all the words of text', async () => {
    expect((await search(alice, 'text=invoice')).ids).toEqual([ids['carol']]);
    expect((await search(alice, 'text=globex%20CORPORATION')).ids).toEqual([ids['acme']]);
    expect((await search(alice, 'text=example')).ids).toEqual([ids['erin'], ids['carol']]);
    expect((await search(alice, 'text=invoice%20welcome')).ids).toEqual([]);
    // field and text together: both must hold
    expect((await search(alice, 'field=to&value=erin@example.com&text=welcome')).ids).toEqual([
      ids['erin'],
    ]);
  });

  it('combines with type, status and the time range', async () => {
    expect((await search(alice, 'text=example&type=email.send&status=queued')).ids).toHaveLength(2);
    expect((await search(alice, 'text=example&type=demo.count')).ids).toEqual([]);
    expect((await search(alice, 'text=example&status=failed')).ids).toEqual([]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await search(alice, `text=example&from=${encodeURIComponent(future)}`)).ids).toEqual(
      [],
    );
    expect(
      (await search(alice, 'text=example&limit=1')).ids, // newest first
    ).toEqual([ids['erin']]);
  });

  it('never shows another owner’s jobs; an admin searches every owner or one', async () => {
    expect((await search(bob, 'field=to&value=carol@example.com')).ids).toEqual([ids['bobCarol']]);
    expect((await search(bob, 'field=to&value=carol@example.com&owner=alice')).ids).toEqual([
      ids['bobCarol'],
    ]);
    expect((await search(admin, 'field=to&value=carol@example.com')).ids).toEqual([
      ids['bobCarol'],
      ids['carol'],
    ]);
    expect((await search(admin, 'field=to&value=carol@example.com&owner=alice')).ids).toEqual([
      ids['carol'],
    ]);
  });

  it('refuses a malformed search with field errors', async () => {
    const cases: [string, string, RegExp][] = [
      ['field=to', 'value', /required with field/],
      ['value=x', 'field', /required with value/],
      ['field=a..b&value=x', 'field', /payload path/],
      ['field=%24where&value=x', 'field', /payload path/],
      ['text=%21%21%20-', 'text', /no word/],
      ['field[%24ne]=x&value=y', 'field', /./],
    ];
    for (const [query, field, message] of cases) {
      const r = await search(alice, query);
      expect([query, r.status]).toEqual([query, 400]);
      expect(r.errors?.find((e) => e.field === field)?.message).toMatch(message);
    }
  });

  it('stores the keys with the job and has the indexes that serve the search', async () => {
    const doc = await api.deps.repo.model.collection.findOne({ type: 'acme.invoice' });
    // n.b. `c` of C-42 is one letter: no word
    expect(doc?.['searchKeys']).toEqual([
      'customer.id=c-42',
      'customer.name=globex corporation',
      '~42',
      '~globex',
      '~corporation',
    ]);
    const keys = (await api.deps.repo.model.collection.listIndexes().toArray()).map((i) =>
      JSON.stringify(i['key']),
    );
    expect(keys).toContain(JSON.stringify({ owner: 1, searchKeys: 1, _id: -1 }));
    expect(keys).toContain(JSON.stringify({ searchKeys: 1, _id: -1 }));
  });
});

describe('GET /v1/jobs with a payload search', () => {
  /** The ids `GET /v1/jobs` answers; the same query of `GET /v1/jobs/search` must agree. */
  async function list(token: string, query: string) {
    const res = await api.call(`/v1/jobs?${query}`, token);
    const body = (await res.json()) as {
      items?: JobResource[];
      nextCursor?: string | null;
      errors?: { field: string; message: string }[];
    };
    const listed = {
      status: res.status,
      ids: (body.items ?? []).map((j) => j.id),
      errors: body.errors,
    };
    expect([query, listed]).toEqual([query, await search(token, query)]);
    return { ...listed, nextCursor: body.nextCursor };
  }

  it('finds what the search finds, by field and value, words, and with the list’s filters', async () => {
    expect((await list(alice, 'field=to&value=CAROL@example.com')).ids).toEqual([ids['carol']]);
    expect((await list(alice, 'field=customer.id&value=c-42')).ids).toEqual([ids['acme']]);
    expect((await list(alice, 'field=note&value=rush%20order')).ids).toEqual([]);
    expect((await list(alice, 'text=globex%20CORPORATION')).ids).toEqual([ids['acme']]);
    expect((await list(alice, 'text=invoice%20welcome')).ids).toEqual([]);
    expect((await list(alice, 'field=to&value=erin@example.com&text=welcome')).ids).toEqual([
      ids['erin'],
    ]);
    expect((await list(alice, 'text=example&type=email.send&status=queued')).ids).toHaveLength(2);
    expect((await list(alice, 'text=example&type=demo.count')).ids).toEqual([]);
  });

  it('pages a search with the cursor it answers, newest first', async () => {
    const first = await list(alice, 'text=example&limit=1');
    expect(first.ids).toEqual([ids['erin']]);
    expect(first.nextCursor).toBe(ids['erin']);
    const second = await list(alice, `text=example&limit=1&cursor=${first.nextCursor}`);
    expect(second.ids).toEqual([ids['carol']]);
  });

  it('never shows another owner’s jobs; an admin finds every owner’s', async () => {
    expect((await list(bob, 'field=to&value=carol@example.com')).ids).toEqual([ids['bobCarol']]);
    expect((await list(admin, 'field=to&value=carol@example.com')).ids).toEqual([
      ids['bobCarol'],
      ids['carol'],
    ]);
  });

  it('refuses a malformed search with the same field errors', async () => {
    const cases: [string, string, RegExp][] = [
      ['field=to', 'value', /required with field/],
      ['value=x', 'field', /required with value/],
      ['field=a..b&value=x', 'field', /payload path/],
      ['text=%21%21%20-', 'text', /no word/],
      ['field[%24ne]=x&value=y', 'field', /./],
    ];
    for (const [query, field, message] of cases) {
      const r = await list(alice, query);
      expect([query, r.status]).toEqual([query, 400]);
      expect(r.errors?.find((e) => e.field === field)?.message).toMatch(message);
    }
    // n.b. the search's own parameters stay its own: the list takes no owner or time range
    expect((await api.call('/v1/jobs?owner=bob', admin)).status).toBe(400);
  });

  it('documents the parameters in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, { get: { parameters: { name: string }[] } }>;
    };
    const names = (path: string) => doc.paths[path]!.get.parameters.map((p) => p.name);
    expect(names('/v1/jobs')).toEqual(expect.arrayContaining(['field', 'value', 'text']));
  });
});

describe('POST /v1/jobs/bulk with a payload search', () => {
  it('counts and cancels exactly the jobs the search finds', async () => {
    const bulk = async (body: unknown) => {
      const res = await api.call('/v1/jobs/bulk', alice, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const dry = await bulk({
      action: 'cancel',
      filter: { status: 'queued', field: 'to', value: 'carol@example.com' },
      dryRun: true,
    });
    expect(dry.body).toMatchObject({ matched: 1 });
    const done = await bulk({
      action: 'cancel',
      filter: { status: 'queued', field: 'to', value: 'carol@example.com' },
      expected: 1,
    });
    expect(done.body).toMatchObject({ done: 1 });
    const bobs = await api.call(`/v1/jobs/${ids['bobCarol']}`, bob);
    expect(((await bobs.json()) as JobResource).status).toBe('queued');
    const bad = await bulk({ action: 'cancel', filter: { value: 'x' }, dryRun: true });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body['errors'])).toContain('filter.field');
  });
});

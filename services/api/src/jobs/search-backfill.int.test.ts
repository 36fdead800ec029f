import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { z } from 'zod';
import { catalogueEntryOf, defineJobType, type JobResource } from '@conveyor/contracts';
import { infra, mongoUrlForDb } from '@conveyor/testkit';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// The search-key backfill as an operator runs it: the CLI against the real store, on jobs
// stored without `searchKeys` (as before payload search existed), then searched through the
// API. The test API runs no worker: submitted jobs stay queued.
const cli = fileURLToPath(new URL('./search-backfill-cli.js', import.meta.url));

const invoice = defineJobType({
  name: 'acme.invoice',
  payload: z.object({ customer: z.object({ id: z.string() }), note: z.string() }),
  search: ['customer.id'],
});

let api: TestApi;
let alice: string;
let storeUrl: string;
/** Job ids in order of creation, and the keys the submit stored for each. */
const ids: string[] = [];
const submitted = new Map<string, unknown>();

const jobs = () => api.deps.repo.model.collection;

/** Every job document by id, as stored. */
async function stored(): Promise<Map<string, Record<string, unknown>>> {
  const docs = await jobs().find({}).sort({ _id: 1 }).toArray();
  return new Map(docs.map((d) => [String(d._id), d as Record<string, unknown>]));
}

function backfill(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, storeUrl, ...args], (error, out, err) =>
      resolve({ code: error ? Number(error.code) : 0, out, err }),
    );
  });
}

async function search(query: string): Promise<string[]> {
  const res = await api.call(`/v1/jobs?${query}`, alice);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: JobResource[] }).items.map((j) => j.id);
}

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  storeUrl = mongoUrlForDb((await infra()).mongoUrl, api.deps.runtime.mongo.name);
  alice = await api.token({ sub: 'alice' });
  await api.deps.core.catalogue.register([catalogueEntryOf(invoice, 'acme')], {
    worker: 'acme',
    workerId: 'test',
    version: 'test',
  });
  const bodies = [
    {
      type: 'email.send',
      payload: { to: ['carol@example.com'], subject: 'Invoice overdue', text: 'x' },
    },
    { type: 'acme.invoice', payload: { customer: { id: 'C-42' }, note: 'rush' } },
    { type: 'email.send', payload: { to: ['erin@example.com'], subject: 'Welcome', text: 'x' } },
    { type: 'demo.count', payload: { to: 7 } },
    { type: 'acme.invoice', payload: { customer: { id: 'C-43' }, note: 'later' } },
  ];
  for (const body of bodies) {
    const res = await api.call('/v1/jobs', alice, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    ids.push(((await res.json()) as { id: string }).id);
  }
  for (const [id, doc] of await stored()) submitted.set(id, doc['searchKeys']);
  // Jobs as they were stored before search: no keys at all.
  await jobs().updateMany({}, { $unset: { searchKeys: '' } });
  // …and one whose payload holds nothing at its type's searchable path (newest of all).
  const invoiceDoc = (await stored()).get(ids[1]!)!;
  await jobs().insertOne({
    ...invoiceDoc,
    _id: new Types.ObjectId(),
    payload: JSON.stringify({ customer: {}, note: 'no id' }),
    dedupeKey: 'backfill-test-no-keys',
  });
});

afterAll(async () => {
  await api?.close();
});

describe('pnpm search:backfill', () => {
  it('finds nothing by payload before the backfill', async () => {
    expect(await search('field=to&value=carol@example.com')).toEqual([]);
    expect(await search('field=customer.id&value=c-42')).toEqual([]);
  });

  it('stops after the batch under way on SIGINT and says where to resume', async () => {
    const child = spawn(process.execPath, [cli, storeUrl, '--batch', '1', '--pause-ms', '30000']);
    let out = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // n.b. once: a second SIGINT ends the process at once, as Ctrl-C twice does
      if (!signalled && out.includes('batch: ')) signalled = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(out).toMatch(/^stopped: 1 read, 1 given keys, 0 with nothing searchable$/m);
    expect(out).toContain(`resume with --after ${ids[0]}`);
    expect((await stored()).get(ids[0]!)?.['searchKeys']).toEqual(submitted.get(ids[0]!));
    expect(await search('field=to&value=carol@example.com')).toEqual([ids[0]]);
  });

  it('resumes after a given job id, leaving the jobs up to it alone', async () => {
    const run = await backfill('--after', ids[2]!);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toMatch(/^done: 3 read, 2 given keys, 1 with nothing searchable$/m);
    const docs = await stored();
    expect(ids.map((id) => docs.get(id)?.['searchKeys'] !== undefined)).toEqual([
      true,
      false,
      false,
      true,
      true,
    ]);
  });

  it('gives the rest the keys a submit stores, batch by batch, and search finds them', async () => {
    const run = await backfill('--batch', '2');
    expect(run).toMatchObject({ code: 0, err: '' });
    // n.b. the job with nothing searchable is read again, never written
    expect(run.out.match(/^batch: /gm)).toHaveLength(2);
    expect(run.out).toMatch(/^done: 3 read, 2 given keys, 1 with nothing searchable$/m);
    const docs = await stored();
    for (const id of ids)
      expect([id, docs.get(id)?.['searchKeys']]).toEqual([id, submitted.get(id)]);
    expect(await search('field=to&value=carol@example.com')).toEqual([ids[0]]);
    expect(await search('text=welcome')).toEqual([ids[2]]);
    expect(await search('field=customer.id&value=c-42')).toEqual([ids[1]]);
    expect(await search('field=to&value=7&type=demo.count')).toEqual([ids[3]]);
  });

  it('changes nothing when run again', async () => {
    const before = await stored();
    const run = await backfill();
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toMatch(/^done: 1 read, 0 given keys, 1 with nothing searchable$/m);
    expect(await stored()).toEqual(before);
  });

  it('refuses bad usage with exit code 2', async () => {
    const run = await backfill('--after', 'nope');
    expect(run.code).toBe(2);
    expect(run.err).toContain('--after needs a job id');
  });
});
